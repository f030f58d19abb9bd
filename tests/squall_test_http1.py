"""A bare HTTP/1.1 test server shared by the tests of ``squall-http1`` and above.

Importable as ``squall_test_http1`` (``tests/`` is on the path, see
``squall_test_support``). Needs ``squall-http1``, so only the test folders of
that distribution and the ones above it may import it.
"""

from __future__ import annotations

from typing import Any

from squall.http1connection import HTTP1ConnectionParameters, HTTP1ServerConnection
from squall.httputil import HTTPServerConnectionDelegate
from squall.iostream import IOStream
from squall.tcpserver import TCPServer


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
