"""Listening sockets on free ports, and the default async test timeout."""

from __future__ import annotations

import os
import socket

from squall.netutil import bind_sockets


def bind_unused_port(
    reuse_port: bool = False, address: str = "127.0.0.1"
) -> tuple[socket.socket, int]:
    """Bind a listening socket to a free port chosen by the kernel.

    Follows Tornado's ``tornado.testing.bind_unused_port``: port 0 is bound (IPv4,
    on ``address``) so there is no race with other processes, and the caller
    passes the socket to ``HTTPServer.add_sockets`` (or closes it).

    Args:
        reuse_port: set ``SO_REUSEPORT`` on the socket (Linux, BSD).
        address: the IPv4 address to bind, default the loopback ``127.0.0.1``.

    Returns:
        ``(socket, port)``: the listening, non-blocking socket and its port number.

    Raises:
        OSError: the address cannot be bound.
        ValueError: ``reuse_port`` is not supported on this platform.
    """
    sock = bind_sockets(0, address, family=socket.AF_INET, reuse_port=reuse_port)[0]
    port: int = sock.getsockname()[1]
    return sock, port


def get_async_test_timeout() -> float:
    """Return the default timeout of asynchronous tests, in seconds.

    Reads the ``ASYNC_TEST_TIMEOUT`` environment variable (a float), as Tornado
    does, and falls back to 5 seconds when it is unset or not a number. Used by
    :func:`gen_test`, :meth:`AsyncTestCase.wait`, :meth:`AsyncHTTPTestCase.fetch`
    and the pytest plugin.

    Returns:
        The timeout in seconds.
    """
    env = os.environ.get("ASYNC_TEST_TIMEOUT")
    if env is not None:
        try:
            return float(env)
        except ValueError:
            pass
    return 5.0
