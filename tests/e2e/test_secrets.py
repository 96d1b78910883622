"""A credential from the environment is sent, and shows up nowhere else (issue #9 item 5).

A planted secret rides as a bearer token, as a header value and as the password
of a URL, to loopback servers that record what they receive. Then every place a
responder, a log or a file could show it is searched for it: the database file
and its WAL, the engine's stderr and Python logging, each `--json` output,
`warroom check`, and the repr/str of the config, the specs, the built sources
and their failures. The servers did receive it, so the search is not vacuous.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
from pathlib import Path

import pytest
from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.test_bad_sources import GOOD
from tests.e2e.test_misconfigured_sources import source_health
from tests.support.cli import ROOT, clean_env
from tests.support.cli import warroom as run_warroom

from warroom.config import load_config
from warroom.model.secret import Secret
from warroom.sources.alertmanager import AlertmanagerSource
from warroom.sources.base import SourceError, SourceSpec
from warroom.sources.registry import build_source

pytestmark = pytest.mark.e2e

SECRET = "s3cr3t-planted-4b7e19d2"
VAR = "WARROOM_TEST_SECRET"


def echo(request: Request) -> Reply:
    """A hostile or careless server that quotes the credentials back in its error."""
    quoted = f"bad credentials {request.headers.get('authorization')} {request.headers}"
    return Reply(500, quoted.encode())


def write_config(tmp_path: Path, good: str, denied: str, echoing: str) -> Path:
    path = tmp_path / "config.yaml"
    host = echoing.removeprefix("http://")
    path.write_text(
        f"""\
database: {tmp_path / "w.db"}
plans: {ROOT / "plans"}
sources:
  - name: am
    type: alertmanager
    url: {good}
    bearer_token: ${{{VAR}}}
  - name: am-header
    type: alertmanager
    url: {good}
    headers:
      X-Api-Key: ${{{VAR}}}
  - name: denied
    type: alertmanager
    url: {denied}
    bearer_token: "${{{VAR}}}"
  - name: echoed
    type: alertmanager
    url: {echoing}
    headers:
      Authorization: "Bearer ${{{VAR}}}"
  - name: in-url
    type: alertmanager
    url: "http://ops:${{{VAR}}}@{host}"
""",
        encoding="utf-8",
    )
    return path


def run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = run_warroom(*args, env=env, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_planted_secret_is_sent_and_shown_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    env = {**clean_env(tmp_path), VAR: SECRET}
    monkeypatch.setenv(VAR, SECRET)
    shown: dict[str, str] = {}
    with (
        loopback(lambda r: Reply(200, GOOD)) as good,
        loopback(lambda r: Reply(401, b"nope")) as denied,
        loopback(echo) as echoing,
    ):
        path = write_config(tmp_path, good.url, denied.url, echoing.url)
        check = run(tmp_path, env, "--config", str(path), "check")
        assert check.returncode == 0, check.stderr
        shown["check"] = check.stdout + check.stderr

        once = run(tmp_path, env, "--config", str(path), "engine", "--once")
        assert "denied: poll failed" in once.stderr and "echoed: poll failed" in once.stderr
        shown["engine --once"] = once.stdout + once.stderr

        alerts = run(tmp_path, env, "--config", str(path), "alerts", "--json")
        assert "DiskFull" in alerts.stdout
        shown["alerts --json"] = alerts.stdout + alerts.stderr

        incidents = run(tmp_path, env, "--config", str(path), "incidents", "--json", "--all")
        shown["incidents --json"] = incidents.stdout + incidents.stderr
        ids = [json.loads(line)["id"] for line in incidents.stdout.splitlines()]
        assert ids, "the example plans open an incident for DiskFull"
        for incident in ids:
            show = run(tmp_path, env, "--config", str(path), "show", str(incident), "--json")
            assert show.returncode == 0, show.stderr
            shown[f"show {incident} --json"] = show.stdout + show.stderr

        # in this process: Python logging (httpx's too), reprs and failures
        caplog.set_level(logging.DEBUG)
        config = load_config(path)
        shown["repr(config)"] = repr(config)
        shown["str(config)"] = str(config)
        for spec in config.sources:
            shown[f"repr(spec {spec.name})"] = repr(spec)
            shown[f"str(spec {spec.name})"] = str(spec)
        failures = asyncio.run(_poll_each(config.sources, shown))
        shown["caplog"] = caplog.text

    received = [(r.headers.get("authorization"), r.headers.get("x-api-key")) for r in good.requests]
    assert (f"Bearer {SECRET}", None) in received
    assert any(key == SECRET for _, key in received)
    assert f"Bearer {SECRET}" in {r.headers.get("authorization") for r in echoing.requests}
    assert denied.requests and all(
        r.headers.get("authorization") == f"Bearer {SECRET}" for r in denied.requests
    )
    assert "HTTP 401 Unauthorized: check credentials" in failures["denied"]
    assert "HTTP 500" in failures["echoed"]

    health = {h.name: h for h in asyncio.run(source_health(tmp_path / "w.db"))}
    assert "HTTP 500" in (health["echoed"].last_error or "")
    stored = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("w.db*")) if p.suffix != ".yaml")
    assert b"DiskFull" in stored  # the database was written; the search below means something
    assert SECRET.encode() not in stored
    leaks = [where for where, text in shown.items() if SECRET in text]
    assert leaks == [], f"the secret shows in {leaks}"


async def _poll_each(specs: tuple[SourceSpec, ...], shown: dict[str, str]) -> dict[str, str]:
    """Each source polled once; its failure's text, and the reprs of the built source."""
    failures: dict[str, str] = {}
    for spec in specs:
        source = build_source(spec)
        shown[f"repr(source {spec.name})"] = repr(source) + repr(vars(source))
        http = getattr(source, "http", None)
        if http is not None:
            shown[f"repr(settings {spec.name})"] = repr(http.settings)
        try:
            await source.fetch()
        except SourceError as exc:
            failures[spec.name] = exc.reason
            shown[f"failure {spec.name}"] = f"{exc} {exc!r} {exc.reason}"
        finally:
            await source.close()
    return failures


def test_a_secret_repr_names_the_variable_never_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, SECRET)
    assert repr(Secret(f"${{{VAR}}}")) == f"Secret('${{{VAR}}}')"
    assert str(Secret(SECRET)) == "Secret(***)"
    assert SECRET not in repr(Secret(f"{SECRET}${{{VAR}}}"))
    assert Secret(f"Bearer ${{{VAR}}}").resolve() == f"Bearer {SECRET}"
    spec = SourceSpec(
        "am",
        "alertmanager",
        url=f"http://ops:{SECRET}@h",
        options={"bearer_token": SECRET, "password": SECRET, "headers": {"Authorization": SECRET}},
    )
    assert SECRET not in repr(spec) and SECRET not in str(spec)


async def test_both_transports_send_a_secret_header_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, SECRET)
    options = {"bearer_token": Secret(f"${{{VAR}}}"), "headers": {"X-Key": Secret(f"${{{VAR}}}")}}
    with loopback(lambda r: Reply(200, GOOD)) as server:
        for early in (True, False):
            source = AlertmanagerSource(
                SourceSpec("am", "alertmanager", url=server.url, options=options)
            )
            try:
                if early:
                    source.send_early()
                assert len(await source.fetch()) == 2
            finally:
                await source.close()
    sent = [(r.headers["authorization"], r.headers["x-key"]) for r in server.requests]
    assert sent == [(f"Bearer {SECRET}", SECRET)] * 2


UNSET = "WARROOM_TEST_SURELY_UNSET"


def test_an_unset_variable_is_a_check_error_and_fails_only_its_source(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env.pop(UNSET, None)
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""\
database: {tmp_path / "w.db"}
sources:
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9
    bearer_token: ${{{UNSET}}}
  - name: demo
    type: demo
""",
        encoding="utf-8",
    )
    check = run(tmp_path, env, "--config", str(path), "check")
    assert check.returncode == 1
    assert f"{path}:6:19: environment variable {UNSET} is not set" in check.stderr.splitlines()

    once = run(tmp_path, env, "--config", str(path), "engine", "--once")
    assert re.search(r"^demo: \d+ new", once.stdout, re.M), once.stderr
    health = {h.name: h for h in asyncio.run(source_health(tmp_path / "w.db"))}
    assert health["am"].last_error == f"environment variable {UNSET} is not set"


PG_VAR = "WARROOM_TEST_PG_SECRET"
PG_SECRET = "pg-s3cr3t-planted-71c0e2"


def test_a_database_password_from_the_environment_is_used_and_shown_nowhere(
    tmp_path: Path,
) -> None:
    """`database: postgresql://USER:${VAR}@HOST/DB` (and the same as `--db`) reaches a
    PostgreSQL that checks it, and no output, config repr, copy or row holds it."""
    from tests.support.pg_auth import password_role
    from tests.support.postgres import running_postgres

    with running_postgres() as server:
        server.psql("CREATE DATABASE secrets")
        password_role(server, "bastion", PG_SECRET, "secrets")
        url = f"postgresql://bastion:${{{PG_VAR}}}@127.0.0.1:{server.port}/secrets"
        config = tmp_path / "config.yaml"
        config.write_text(f'database: "{url}"\nplans: {ROOT / "plans"}\n', encoding="utf-8")
        env = {**clean_env(tmp_path), PG_VAR: PG_SECRET}
        shown: dict[str, str] = {}

        def step(name: str, *args: str, code: int = 0, environ: dict[str, str] = env) -> str:
            done = run(tmp_path, environ, *args)
            assert done.returncode == code, (name, done.stdout, done.stderr)
            shown[name] = done.stdout + done.stderr
            return shown[name]

        with_config = ("--config", str(config))
        step("check", *with_config, "check")
        step("engine --once", *with_config, "engine", "--once")
        declared = step(
            "declare", *with_config, "declare", "--title", "Payments down", "--impact", "2",
            "--json",
        )  # fmt: skip
        incident = str(json.loads(declared.splitlines()[0])["incident"]["id"])
        step("note", *with_config, "note", incident, "rotated the key", "--json")
        step("show --json", *with_config, "show", incident, "--json")
        listed = step("incidents --db", "--db", url, "incidents", "--json")
        assert "Payments down" in listed
        copied = step("migrate", "migrate", "--from", url, "--to", f"sqlite:{tmp_path / 'c.db'}")
        assert "verified" in copied

        wrong = {**env, PG_VAR: "not-" + PG_SECRET}
        refused = step("wrong password", "--db", url, "incidents", code=2, environ=wrong)
        assert "authentication failed" in refused and len(refused.splitlines()) == 1
        assert "not-" + PG_SECRET not in refused
        unset = {k: v for k, v in env.items() if k != PG_VAR}
        missing = step("unset", *with_config, "incidents", code=2, environ=unset)
        assert f"the password in the URL is {PG_VAR}, which is not set" in missing
        shown["check unset"] = step("check unset", *with_config, "check", code=1, environ=unset)
        assert f"environment variable {PG_VAR} is not set" in shown["check unset"]

        shown["repr(config)"] = repr(load_config(config)) + str(load_config(config))
        tables = server.psql(
            "SELECT string_agg(table_name, ' ') FROM information_schema.tables"
            " WHERE table_schema = 'public'",
            database="secrets",
        ).split()
        stored = "".join(
            server.psql(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {t} t", "secrets")
            for t in tables
        )
    assert "Payments down" in stored and "rotated the key" in stored  # the search means something
    assert PG_SECRET not in stored
    assert PG_SECRET.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
    leaks = [where for where, text in shown.items() if PG_SECRET in text]
    assert leaks == [], f"the database password shows in {leaks}"
