"""TLS settings: Tornado's dict form of ``ssl_options``, contexts and socket wrapping."""

from __future__ import annotations

import functools
import socket
import ssl
from typing import Any

__all__ = ["default_ssl_context", "ssl_options_to_context", "ssl_wrap_socket"]

# The keyword arguments of the old ``ssl.wrap_socket`` that Tornado's dict form accepts.
_SSL_PARAMS = frozenset({"ssl_version", "certfile", "keyfile", "cert_reqs", "ca_certs", "ciphers"})


def ssl_options_to_context(
    ssl_options: dict[str, Any] | ssl.SSLContext, server_side: bool | None = None
) -> ssl.SSLContext:
    """Turn an ``ssl_options`` dict into an ``ssl.SSLContext`` (contexts pass through).

    As in Tornado, the dict may hold ``ssl_version``, ``certfile``, ``keyfile``,
    ``cert_reqs``, ``ca_certs`` and ``ciphers`` (the old ``wrap_socket`` keywords).
    Use the context form to set anything else, such as ALPN protocols
    (``context.set_alpn_protocols([...])``) or an SNI callback.

    Args:
        ssl_options: the dict, or an existing ``ssl.SSLContext`` (returned as is).
        server_side: True for a server context (``PROTOCOL_TLS_SERVER``), False for a
            client one (``PROTOCOL_TLS_CLIENT``: certificate and host name checked
            unless ``cert_reqs`` is ``ssl.CERT_NONE``); None picks server when a
            ``certfile`` is given (Tornado falls back to the deprecated generic
            ``PROTOCOL_TLS`` instead).

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
            context.check_hostname = False  # CERT_NONE is refused while it is on
        context.verify_mode = ssl_options["cert_reqs"]
    if "ca_certs" in ssl_options:
        context.load_verify_locations(ssl_options["ca_certs"])
    if "ciphers" in ssl_options:
        context.set_ciphers(ssl_options["ciphers"])
    context.options |= ssl.OP_NO_COMPRESSION  # CRIME
    return context


@functools.cache
def default_ssl_context(server_side: bool) -> ssl.SSLContext:
    """Return the shared default context used when ``ssl_options`` is None.

    A client context verifies the server against the system's CA store and checks
    its host name; a server context has no certificate (handshakes fail until one
    is given), as with Tornado's defaults. Built once: loading the CA store costs
    milliseconds.
    """
    purpose = ssl.Purpose.CLIENT_AUTH if server_side else ssl.Purpose.SERVER_AUTH
    return ssl.create_default_context(purpose)


def ssl_wrap_socket(
    socket: socket.socket,
    ssl_options: dict[str, Any] | ssl.SSLContext,
    server_hostname: str | None = None,
    server_side: bool | None = None,
    **kwargs: Any,
) -> ssl.SSLSocket:
    """Wrap ``socket`` in an ``ssl.SSLSocket``, as Tornado's ``ssl_wrap_socket``.

    The result is a blocking-style ``ssl.SSLSocket`` for code that drives sockets
    itself. squall's own streams do not need it: :class:`~squall.iostream.SSLIOStream`
    runs TLS in asyncio's transport and also accepts a socket wrapped with
    ``do_handshake_on_connect=False``.

    Args:
        socket: the socket to wrap (connected or not).
        ssl_options: an ``ssl.SSLContext`` or a dict for :func:`ssl_options_to_context`.
        server_hostname: the peer's host name, for SNI and certificate checking
            (client side only).
        server_side: True to act as the TLS server; None means False, as in
            Tornado (a dict's ``certfile`` is then the client certificate).
        **kwargs: passed on to ``ssl.SSLContext.wrap_socket``, e.g.
            ``do_handshake_on_connect=False``.

    Returns:
        The ``ssl.SSLSocket`` (it owns the socket's file descriptor from now on).

    Raises:
        ValueError: bad ``ssl_options`` keys, or ``server_hostname`` missing while
            the context checks host names.
        ssl.SSLError, OSError: a certificate cannot be loaded, or the handshake
            (when done on connect) failed.
    """
    server_side = bool(server_side)
    context = ssl_options_to_context(ssl_options, server_side=server_side)
    return context.wrap_socket(
        socket,
        server_side=server_side,
        server_hostname=None if server_side else server_hostname,
        **kwargs,
    )
