"""A bare HTTP/1.1 test server shared by the tests of ``squall-http1`` and above.

Importable as ``squall_test_http1`` (``tests/`` is on the path, see
``squall_test_support``). Needs ``squall-http1``, so only the test folders of
that distribution and the ones above it may import it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from squall.http1connection import HTTP1ConnectionParameters, HTTP1ServerConnection
from squall.httputil import HTTPServerConnectionDelegate
from squall.iostream import IOStream
from squall.netutil import bind_sockets
from squall.tcpserver import TCPServer

_T = TypeVar("_T")


class ConnectionServer(TCPServer):
    """A ``TCPServer`` serving each connection with ``HTTP1ServerConnection``.

    No ``HTTPServer`` in between: the tests see ``squall.http1connection`` alone.

    Args:
        params: the parameters of every connection.
        app: the delegate given to ``start_serving``.
        ssl_options: as ``TCPServer``'s, to serve TLS.

    Attributes:
        conns: every ``HTTP1ServerConnection`` made, in order (to close them).
    """

    def __init__(
        self,
        params: HTTP1ConnectionParameters,
        app: HTTPServerConnectionDelegate,
        ssl_options: Any = None,
    ) -> None:
        super().__init__(ssl_options=ssl_options)
        self.params = params
        self.app = app
        self.conns: list[HTTP1ServerConnection] = []

    def handle_stream(self, stream: IOStream, address: Any) -> None:
        """Serve ``stream`` with a new ``HTTP1ServerConnection`` (``address`` as its context)."""
        conn = HTTP1ServerConnection(stream, self.params, address)
        self.conns.append(conn)
        conn.start_serving(self.app)


async def serve_while(
    client: Callable[[int], _T],
    params: HTTP1ConnectionParameters,
    app: HTTPServerConnectionDelegate,
    ssl_options: Any = None,
) -> _T:
    """Serve ``app`` on 127.0.0.1 while ``client(port)`` runs in a thread.

    Then stops the server and closes every connection it made.

    Returns:
        What ``client`` returned (its exception propagates).
    """
    socks = bind_sockets(0, "127.0.0.1")
    server = ConnectionServer(params, app, ssl_options)
    server.add_sockets(socks)
    try:
        return await asyncio.to_thread(client, socks[0].getsockname()[1])
    finally:
        server.stop()
        for conn in server.conns:
            await conn.close()
