"""HTTPServer: a TCPServer speaking HTTP/1.x to a delegate or a plain callback."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ssl
import time
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
from squall.iostream import IOStream, StreamClosedError
from squall.log import app_log, gen_log
from squall.tcpserver import TCPServer

#: Tornado's default ``idle_connection_timeout`` (seconds).
DEFAULT_IDLE_CONNECTION_TIMEOUT = 3600.0

#: A shutdown hook: called with the grace period in seconds (``0.0``: close at
#: once); may return an awaitable, which ``close_all_connections`` waits for.
ShutdownHook = Callable[[float | None], Awaitable[None] | None]

_OVER_CAPACITY = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
    b"Content-Length: 0\r\nRetry-After: 1\r\n\r\n"
)


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
    Start it with ``listen(port)``, ``add_sockets(bind_sockets(port))`` or, for a
    Unix socket, ``add_socket(bind_unix_socket(path))``.

    ``xheaders`` follows Tornado and adds the standard ``Forwarded`` header
    (RFC 7239): the client address is the rightmost hop that is not in
    ``trusted_downstream`` (its ``for=``; an obfuscated or ``unknown`` node leaves
    the socket's address), the scheme that element's ``proto=``. ``X-Real-Ip``,
    ``X-Forwarded-For``, ``X-Scheme`` and ``X-Forwarded-Proto`` take precedence
    when present. Invalid values are ignored.

    Graceful shutdown: ``stop()`` stops accepting, then
    ``await close_all_connections(timeout)`` runs the hooks registered with
    ``add_shutdown_hook`` (upper layers, e.g. WebSocket connections that left HTTP),
    closes idle keep-alive connections at once and lets requests in progress
    finish, for at most ``timeout`` seconds.

    Args:
        request_callback: the delegate or callable handling requests.
        no_keep_alive: close every connection after one response.
        xheaders: trust ``X-Real-Ip`` / ``X-Forwarded-For`` / ``Forwarded``
            (client address) and ``X-Scheme`` / ``X-Forwarded-Proto`` /
            ``Forwarded`` (scheme) from a reverse proxy.
        ssl_options: an ``ssl.SSLContext`` or a dict of ``ssl.wrap_socket``
            arguments, to serve HTTPS.
        protocol: override the scheme reported as ``request.protocol``.
        decompress_request: gunzip request bodies sent with ``Content-Encoding: gzip``.
        chunk_size: most bytes (``int``) per ``data_received`` call (default 64 KiB).
        max_header_size: largest request head in bytes (default 64 KiB; 431).
        idle_connection_timeout: seconds a connection may wait for a complete
            request head, idle time included (default 3600, as Tornado; the finer
            ``idle_timeout``, ``header_read_timeout`` and ``keep_alive_timeout``
            below are shorter by default).
        body_timeout: seconds allowed to read a whole request body (default
            unlimited; ``body_idle_timeout`` bounds each stall).
        max_body_size: largest request body in bytes (default ``max_buffer_size``
            or 100 MiB; 413).
        max_buffer_size: largest amount buffered per stream, in bytes.
        trusted_downstream: IPs of proxies to skip in ``X-Forwarded-For`` and
            ``Forwarded``.
        max_connections: keyword-only, a squall extension: the most connections
            served at once (``int``); ``None`` (the default) means no cap. A
            connection accepted beyond it is answered ``503 Service Unavailable``
            with ``Retry-After: 1`` and closed without being read.
        **http1_options: keyword-only, squall's finer limits, passed on to
            ``HTTP1ConnectionParameters`` (see it for their defaults):
            ``idle_timeout``, ``header_read_timeout``, ``body_idle_timeout``,
            ``keep_alive_timeout`` (seconds, ``float`` or ``None``),
            ``max_requests``, ``linger_timeout``, ``linger_max_bytes``,
            ``max_field_size`` (bytes per request field line, default 8 KiB;
            431 beyond it).

    Raises:
        TypeError: an unknown keyword argument.
        ValueError: ``max_connections`` below 1.

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
        *,
        max_connections: int | None = None,
        **http1_options: Any,
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
            **http1_options,
        )
        TCPServer.__init__(
            self,
            ssl_options=ssl_options,
            max_buffer_size=max_buffer_size,
            read_chunk_size=chunk_size,
        )
        self._connections: set[HTTP1ServerConnection] = set()
        self.trusted_downstream = list(trusted_downstream) if trusted_downstream else None
        if max_connections is not None and max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.max_connections = max_connections
        self._shutdown_hooks: list[ShutdownHook] = []
        self._shutting_down = False
        self._rejects: set[asyncio.Task[None]] = set()
        self._cap_warned = False

    @property
    def connection_count(self) -> int:
        """The number of HTTP connections being served (``int``)."""
        return len(self._connections)

    def add_shutdown_hook(self, hook: ShutdownHook) -> None:
        """Register ``hook`` to run when ``close_all_connections`` starts.

        This is how a layer above the server (e.g. ``squall.websocket``, whose
        connections have left HTTP through ``detach``) closes its own connections
        at shutdown without the server knowing about it. Hooks run in registration
        order; a hook that raises is logged and the others still run.

        Args:
            hook: called as ``hook(grace)``, ``grace`` being the seconds
                (``float``) it may take to close its connections gracefully, ``0.0``
                when ``close_all_connections`` was called without a timeout (close
                at once). It may return an awaitable, which is waited for (cut off
                and cancelled when a grace period runs out).
        """
        self._shutdown_hooks.append(hook)

    def remove_shutdown_hook(self, hook: ShutdownHook) -> None:
        """Unregister a hook added with ``add_shutdown_hook``; absent hooks are ignored.

        Args:
            hook: the callable that was registered.
        """
        with contextlib.suppress(ValueError):
            self._shutdown_hooks.remove(hook)

    async def close_all_connections(self, timeout: float | None = None) -> None:
        """Close every open connection and wait until each has stopped.

        Call after ``stop()`` (which only stops accepting) for a clean shutdown.
        First the hooks from ``add_shutdown_hook`` are called. With
        ``timeout=None`` (the default) every connection is then closed at once,
        cutting off requests in progress, as Tornado does. With a ``timeout``, the
        shutdown is graceful: idle keep-alive connections are closed at once, and
        each request in progress may finish (its response carries ``Connection:
        close`` when its head was not written yet); whatever is still open, and
        any hook still running, when ``timeout`` seconds have passed is closed or
        cancelled.

        Args:
            timeout: grace period in seconds (``float``), or ``None``.
        """
        self._shutting_down = True
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        waiters: list[asyncio.Future[Any]] = []
        for hook in list(self._shutdown_hooks):
            try:
                result = hook(0.0 if timeout is None else timeout)
            except Exception:
                app_log.error("Uncaught exception in shutdown hook %r", hook, exc_info=True)
                continue
            if inspect.isawaitable(result):
                waiters.append(asyncio.ensure_future(result))
        while self._connections or waiters:
            conns = list(self._connections)
            self._connections.clear()
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if timeout is None:
                closers = [asyncio.ensure_future(conn.close()) for conn in conns]
            else:
                closers = [asyncio.ensure_future(conn.close_gracefully(left)) for conn in conns]
            tasks = closers + waiters
            waiters = []
            done, pending = await asyncio.wait(tasks, timeout=left)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
            for task in done:
                exc = None if task.cancelled() else task.exception()
                if exc is not None:
                    app_log.error("Error closing connections", exc_info=exc)
        for task in list(self._rejects):
            task.cancel()
        self._shutting_down = False

    def handle_stream(self, stream: IOStream, address: Any) -> None:
        """Serve HTTP on a newly accepted connection.

        A connection arriving while ``close_all_connections`` runs is closed; one
        beyond ``max_connections`` is answered 503 and closed.

        Args:
            stream: the accepted ``IOStream``.
            address: the peer address from ``accept``.
        """
        if self._shutting_down:
            stream.close()
            return
        if self.max_connections is not None and len(self._connections) >= self.max_connections:
            task = asyncio.get_running_loop().create_task(self._reject(stream, address))
            self._rejects.add(task)
            task.add_done_callback(self._rejects.discard)
            return
        context = HTTPRequestContext(stream, address, self.protocol, self.trusted_downstream)
        conn = HTTP1ServerConnection(stream, self.conn_params, context)
        self._connections.add(conn)
        conn.start_serving(self)

    async def _reject(self, stream: IOStream, address: Any) -> None:
        if not self._cap_warned:  # once per episode, not once per connection
            self._cap_warned = True
            gen_log.warning(
                "max_connections (%d) reached: answering 503 to new connections",
                self.max_connections,
            )
        try:
            await stream.write(_OVER_CAPACITY)
            # Drain what the client sent, briefly: closing with unread data would
            # reset the connection and could destroy the 503 in flight.
            await asyncio.wait_for(stream.read_bytes(65536, partial=True), 0.5)
        except (StreamClosedError, TimeoutError):
            pass
        finally:
            stream.close()

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
            self._cap_warned = False
