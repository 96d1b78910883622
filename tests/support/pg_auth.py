"""A PostgreSQL role that must give its password (the test server trusts the rest).

The test server (`tests.support.postgres`) trusts loopback connections, which
never ask for a password; a test of where a password goes needs one that is
checked. `password_role` creates a role with a password and puts a
scram-sha-256 line for it first in pg_hba.conf, then reloads the server.
"""

from __future__ import annotations

from tests.support.postgres import PostgresServer


def password_role(server: PostgresServer, role: str, password: str, database: str) -> None:
    server.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    server.psql(f"GRANT ALL ON DATABASE {database} TO {role}")
    server.psql(f"GRANT ALL ON SCHEMA public TO {role}", database=database)
    hba = server.data / "pg_hba.conf"
    rules = hba.read_text(encoding="utf-8")
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n{rules}", encoding="utf-8")
    server.psql("SELECT pg_reload_conf()")
