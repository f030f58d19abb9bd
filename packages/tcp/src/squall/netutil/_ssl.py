"""ssl_options_to_context: Tornado's dict form of TLS settings to an SSLContext."""

from __future__ import annotations

import ssl
from typing import Any

__all__ = ["ssl_options_to_context"]

_SSL_PARAMS = frozenset({"ssl_version", "certfile", "keyfile", "cert_reqs", "ca_certs", "ciphers"})


def ssl_options_to_context(
    ssl_options: dict[str, Any] | ssl.SSLContext, server_side: bool | None = None
) -> ssl.SSLContext:
    """Turn an ``ssl_options`` dict into an ``ssl.SSLContext`` (contexts pass through).

    As in Tornado, the dict may hold ``ssl_version``, ``certfile``, ``keyfile``,
    ``cert_reqs``, ``ca_certs`` and ``ciphers`` (the old ``wrap_socket`` keywords).

    Args:
        ssl_options: the dict, or an existing ``ssl.SSLContext`` (returned as is).
        server_side: True for a server context (``PROTOCOL_TLS_SERVER``), False for a
            client one (``PROTOCOL_TLS_CLIENT``); None picks server when a
            ``certfile`` is given.

    Returns:
        The ``ssl.SSLContext``.

    Raises:
        ValueError: the dict has keys other than those above.
        OSError, ssl.SSLError: a certificate or key file cannot be loaded.
    """
    if isinstance(ssl_options, ssl.SSLContext):
        return ssl_options
    unknown = set(ssl_options) - _SSL_PARAMS
    if unknown:
        raise ValueError(f"unknown ssl_options keys: {sorted(unknown)}")
    if server_side is None:
        server_side = "certfile" in ssl_options
    default = ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT
    context = ssl.SSLContext(ssl_options.get("ssl_version", default))
    if "certfile" in ssl_options:
        context.load_cert_chain(ssl_options["certfile"], ssl_options.get("keyfile"))
    if "cert_reqs" in ssl_options:
        if ssl_options["cert_reqs"] == ssl.CERT_NONE:
            context.check_hostname = False
        context.verify_mode = ssl_options["cert_reqs"]
    if "ca_certs" in ssl_options:
        context.load_verify_locations(ssl_options["ca_certs"])
    if "ciphers" in ssl_options:
        context.set_ciphers(ssl_options["ciphers"])
    context.options |= ssl.OP_NO_COMPRESSION
    return context
