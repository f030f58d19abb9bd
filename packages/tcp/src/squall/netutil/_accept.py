"""add_accept_handler: accept connections on a listening socket."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from squall.netutil._bind import DEFAULT_BACKLOG
from squall.netutil._loop import current_loop

__all__ = ["add_accept_handler"]


def add_accept_handler(
    sock: socket.socket, callback: Callable[[socket.socket, Any], None]
) -> Callable[[], None]:
    """Call ``callback(connection, address)`` for each connection accepted on ``sock``.

    Follows Tornado's ``tornado.netutil.add_accept_handler``: the listening socket is
    watched on the current event loop; each readiness event accepts up to 128
    connections (Tornado's backlog) so one busy listener cannot starve the loop.

    Args:
        sock: a non-blocking listening socket.
        callback: called with the accepted ``socket.socket`` and the peer address.

    Returns:
        A function of no arguments that stops accepting (it does not close
        ``sock``).
    """
    loop = current_loop()
    removed = False

    def accept_ready() -> None:
        for _ in range(DEFAULT_BACKLOG):
            if removed:
                return
            try:
                connection, address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # the peer gave up before we accepted it
            callback(connection, address)

    def remove_handler() -> None:
        nonlocal removed
        if not removed:
            removed = True
            loop.remove_reader(sock)

    loop.add_reader(sock, accept_ready)
    return remove_handler
