"""HTTPServer: a TCPServer speaking HTTP/1.x to a delegate or a plain callback."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from squall.http1connection import HTTP1ConnectionParameters, HTTP1ServerConnection
from squall.httpserver._context import HTTPRequestContext, ProxyAdapter
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)
from squall.iostream import IOStream
from squall.tcpserver import TCPServer

#: Tornado's default ``idle_connection_timeout`` (seconds).
DEFAULT_IDLE_CONNECTION_TIMEOUT = 3600.0


class _CallableAdapter(HTTPMessageDelegate):
    """Buffers a whole request and hands an ``HTTPServerRequest`` to a callable."""

    def __init__(
        self,
        request_callback: Callable[[HTTPServerRequest], object],
        request_conn: HTTPConnection,
    ) -> None:
        self.connection = request_conn
        self.request_callback = request_callback
        self.request: HTTPServerRequest | None = None
        self._chunks: list[bytes] = []

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        assert isinstance(start_line, RequestStartLine)
        self.request = HTTPServerRequest(
            connection=self.connection, start_line=start_line, headers=headers
        )
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        self._chunks.append(chunk)
        return None

    def finish(self) -> None:
        request = self.request
        assert request is not None
        request.body = b"".join(self._chunks)
        self._chunks = []
        request._parse_body()
        self.request_callback(request)

    def on_connection_close(self) -> None:
        self._chunks = []


class HTTPServer(TCPServer, HTTPServerConnectionDelegate):
    """A non-blocking HTTP/1.x server (Tornado's ``tornado.httpserver.HTTPServer``).

    ``request_callback`` is either an ``HTTPServerConnectionDelegate`` (such as
    ``squall.web.Application``) or a callable taking an ``HTTPServerRequest`` that
    answers through ``request.connection.write_headers`` / ``write`` / ``finish``.
    Start it with ``listen(port)`` or ``add_sockets(bind_sockets(port))``.

    Args:
        request_callback: the delegate or callable handling requests.
        no_keep_alive: close every connection after one response.
        xheaders: trust ``X-Real-Ip`` / ``X-Forwarded-For`` (client address) and
            ``X-Scheme`` / ``X-Forwarded-Proto`` (scheme) from a reverse proxy.
        ssl_options: an ``ssl.SSLContext`` or a dict of ``ssl.wrap_socket``
            arguments, to serve HTTPS.
        protocol: override the scheme reported as ``request.protocol``.
        decompress_request: gunzip request bodies sent with ``Content-Encoding: gzip``.
        chunk_size: most bytes (``int``) per ``data_received`` call (default 64 KiB).
        max_header_size: largest request head in bytes (default 64 KiB; 431).
        idle_connection_timeout: seconds a connection may wait for a complete
            request head (default 3600).
        body_timeout: seconds allowed to read a request body (default unlimited).
        max_body_size: largest request body in bytes (default ``max_buffer_size``
            or 100 MiB; 413).
        max_buffer_size: largest amount buffered per stream, in bytes.
        trusted_downstream: IPs of proxies to skip in ``X-Forwarded-For``.
    """

    def __init__(  # noqa: PLR0917 - Tornado's positional signature
        self,
        request_callback: HTTPServerConnectionDelegate | Callable[[HTTPServerRequest], object],
        no_keep_alive: bool = False,
        xheaders: bool = False,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        protocol: str | None = None,
        decompress_request: bool = False,
        chunk_size: int | None = None,
        max_header_size: int | None = None,
        idle_connection_timeout: float | None = None,
        body_timeout: float | None = None,
        max_body_size: int | None = None,
        max_buffer_size: int | None = None,
        trusted_downstream: Iterable[str] | None = None,
    ) -> None:
        self.request_callback = request_callback
        self.xheaders = xheaders
        self.protocol = protocol or ("https" if ssl_options is not None else None)
        self.conn_params = HTTP1ConnectionParameters(
            no_keep_alive=no_keep_alive,
            chunk_size=chunk_size,
            max_header_size=max_header_size,
            header_timeout=idle_connection_timeout or DEFAULT_IDLE_CONNECTION_TIMEOUT,
            max_body_size=max_body_size if max_body_size is not None else max_buffer_size,
            body_timeout=body_timeout,
            decompress=decompress_request,
        )
        TCPServer.__init__(
            self,
            ssl_options=ssl_options,
            max_buffer_size=max_buffer_size,
            read_chunk_size=chunk_size,
        )
        self._connections: set[HTTP1ServerConnection] = set()
        self.trusted_downstream = list(trusted_downstream) if trusted_downstream else None

    async def close_all_connections(self) -> None:
        """Close every open connection and wait until each has stopped.

        Call after ``stop()`` (which only stops accepting) for a clean shutdown.
        """
        while self._connections:
            conn = next(iter(self._connections))
            await conn.close()
            self._connections.discard(conn)

    def handle_stream(self, stream: IOStream, address: Any) -> None:
        """Serve HTTP on a newly accepted connection.

        Args:
            stream: the accepted ``IOStream``.
            address: the peer address from ``accept``.
        """
        context = HTTPRequestContext(stream, address, self.protocol, self.trusted_downstream)
        conn = HTTP1ServerConnection(stream, self.conn_params, context)
        self._connections.add(conn)
        conn.start_serving(self)

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Make the message delegate for one request.

        Args:
            server_conn: the ``HTTP1ServerConnection``.
            request_conn: the ``HTTP1Connection`` answering this request.

        Returns:
            The delegate from ``request_callback.start_request``, or an adapter that
            calls the plain callable; wrapped for ``xheaders`` when enabled.
        """
        callback = self.request_callback
        delegate: HTTPMessageDelegate
        if isinstance(callback, HTTPServerConnectionDelegate):
            delegate = callback.start_request(server_conn, request_conn)
        else:
            delegate = _CallableAdapter(callback, request_conn)
        if self.xheaders:
            delegate = ProxyAdapter(delegate, request_conn)
        return delegate

    def on_close(self, server_conn: object) -> None:
        """Forget a closed connection.

        Args:
            server_conn: the ``HTTP1ServerConnection`` that closed.
        """
        if isinstance(server_conn, HTTP1ServerConnection):
            self._connections.discard(server_conn)
