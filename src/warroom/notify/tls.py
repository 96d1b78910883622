"""The TLS context a channel connects with: built once per choice, shared by HTTP and SMTP.

`verify: false` turns checking off (a lab relay); a `ca_file` trusts that CA;
otherwise HTTP channels trust what httpx would (`SSL_CERT_FILE`, else certifi's
bundle) and a mail relay, usually internal, the system's CAs.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl


@functools.lru_cache(maxsize=8)
def tls_context(verify: bool, ca_file: str, *, system_cas: bool = False) -> ssl.SSLContext:
    import ssl

    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_file:
        return ssl.create_default_context(cafile=os.path.expanduser(ca_file))
    if system_cas:
        return ssl.create_default_context()
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
