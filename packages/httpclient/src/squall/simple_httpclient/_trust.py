"""Which CA certificates verify a server: the system store, else the ``tls`` extra.

Verification is always on by default. The certificates come from, in order:

1. ``ca_certs`` when the request names a file;
2. the **system store** OpenSSL was built to use (``ssl.create_default_context()``:
   ``SSL_CERT_FILE``/``SSL_CERT_DIR``, or the distribution's bundle such as
   ``/etc/ssl/certs``);
3. where that store is missing (python.org's macOS builds before "Install
   Certificates", minimal containers without ``ca-certificates``), the optional
   ``tls`` extra (``pip install squall-httpclient[tls]``): **truststore**, which
   verifies with the operating system's own trust store and APIs, else
   **certifi**'s Mozilla bundle;
4. with none of them, still the default context: every verification then fails
   (with an ``SSLCertVerificationError``) instead of silently trusting anything.
"""

from __future__ import annotations

import importlib
import os
import ssl
from typing import Any

from squall.log import gen_log

#: The sources ``trust_source`` may return, in the order they are tried.
SOURCES = ("system", "truststore", "certifi")


def system_store_available() -> bool:
    """Whether OpenSSL's default CA file or a non-empty CA directory exists.

    On Windows there are no such files: the extra is then used when installed
    (truststore asks Windows itself), else the default context, which reads the
    Windows certificate stores.
    """
    paths = ssl.get_default_verify_paths()
    # Each is None when that file or directory does not exist (typeshed says str).
    cafile: str | None = paths.cafile
    capath: str | None = paths.capath
    if cafile is not None:
        return True
    if capath is None or not os.path.isdir(capath):
        return False
    with os.scandir(capath) as entries:
        return any(True for _ in entries)


def _importable(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def trust_source() -> str:
    """The first available CA source of :data:`SOURCES` (``"system"`` if none is)."""
    if system_store_available():
        return "system"
    for name in SOURCES[1:]:
        if _importable(name) is not None:
            return name
    return "system"


def default_context(ca_certs: str | None = None, source: str | None = None) -> ssl.SSLContext:
    """A client context verifying certificates and host names.

    Args:
        ca_certs: a PEM file of CA certificates; when given, only these are trusted.
        source: one of :data:`SOURCES` (default: :func:`trust_source`).

    Returns:
        An ``ssl.SSLContext`` (a ``truststore.SSLContext`` for ``"truststore"``)
        with ``check_hostname`` on and ``verify_mode`` ``CERT_REQUIRED``.

    Raises:
        OSError, ssl.SSLError: ``ca_certs`` cannot be loaded.
        ImportError: ``source`` names a package that is not installed.
    """
    if ca_certs is not None:
        return ssl.create_default_context(cafile=ca_certs)
    if source is None:
        source = trust_source()
        if source != "system":
            gen_log.debug("no system CA store found: verifying TLS with %s", source)
    if source == "truststore":
        truststore = importlib.import_module("truststore")
        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return context
    if source == "certifi":
        certifi = importlib.import_module("certifi")
        return ssl.create_default_context(cafile=certifi.where())
    return ssl.create_default_context()
