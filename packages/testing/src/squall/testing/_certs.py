"""The TLS certificate AsyncHTTPSTestCase serves: from trustme, else a shipped one."""

from __future__ import annotations

import functools
import ssl
from importlib import resources
from typing import Any


@functools.cache
def _trustme_context() -> ssl.SSLContext | None:
    try:
        import trustme  # noqa: PLC0415 - optional (the ``tls`` extra)
    except ImportError:
        return None
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1", "::1").configure_cert(context)
    return context


def shipped_ssl_options() -> dict[str, Any]:
    """Return ``ssl_options`` naming the self-signed test certificate shipped here.

    The certificate (``CN=localhost``, valid for ``localhost`` and ``127.0.0.1``)
    and its unencrypted private key are public: use them for tests only.

    Returns:
        ``{"certfile": path, "keyfile": path}`` for ``HTTPServer(ssl_options=...)``.
    """
    data = resources.files("squall.testing") / "_data"
    return {"certfile": str(data / "test.crt"), "keyfile": str(data / "test.key")}


def default_ssl_options() -> ssl.SSLContext | dict[str, Any]:
    """Return the server TLS settings of :class:`AsyncHTTPSTestCase`.

    With ``trustme`` installed (``pip install squall-testing[tls]``) a certificate
    for ``localhost``/``127.0.0.1`` is issued by a fresh in-memory CA (once per
    process); otherwise the shipped self-signed certificate is used
    (:func:`shipped_ssl_options`).

    Returns:
        An :class:`ssl.SSLContext` or an ``ssl_options`` dict.
    """
    context = _trustme_context()
    return context if context is not None else shipped_ssl_options()
