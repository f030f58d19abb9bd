"""TCPServer: accept connections and hand each one to ``handle_stream``."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
from collections.abc import Awaitable, Iterable
from typing import Any, cast

from squall.iostream import IOStream, SSLIOStream
from squall.iostream._protocol import StreamProtocol
from squall.netutil import bind_sockets, ssl_options_to_context
from squall.netutil._bind import DEFAULT_BACKLOG
from squall.netutil._loop import current_loop

__all__ = ["TCPServer"]

_app_log = logging.getLogger("squall.application")


class TCPServer:
    r"""A non-blocking, single-threaded TCP server (Tornado's ``tornado.tcpserver.TCPServer``).

    Subclass it and override :meth:`handle_stream`; every accepted connection is
    wrapped in an :class:`~squall.iostream.IOStream` built directly on the asyncio
    transport (``loop.create_server(..., sock=...)``), or with ``ssl_options`` in an
    :class:`~squall.iostream.SSLIOStream`::

        class EchoServer(TCPServer):
            async def handle_stream(self, stream, address):
                while True:
                    line = await stream.read_until(b"\n", max_bytes=65536)
                    await stream.write(line)

        server = EchoServer()
        server.listen(8888)

    Args:
        ssl_options (ssl.SSLContext | dict | None): TLS settings, as an
            ``ssl.SSLContext`` or Tornado's dict form (``certfile``, ``keyfile``, ...;
            see :func:`squall.netutil.ssl_options_to_context`); set ALPN protocols
            on a context with ``set_alpn_protocols``. Each connection gets an
            :class:`~squall.iostream.SSLIOStream` whose handshake has completed
            before :meth:`handle_stream` is called (Tornado calls it earlier and
            lets the handler ``wait_for_handshake``, which here resolves at once),
            so its ALPN protocol and peer certificate can be read right away. A
            connection whose handshake fails never reaches :meth:`handle_stream`;
            the failure is logged once, without a traceback, on ``squall.general``
            (WARNING for TLS errors, DEBUG for a peer that just hung up).
        max_buffer_size (int | None): read buffer limit of each stream, in bytes.
        read_chunk_size (int | None): passed to each stream (see
            :class:`~squall.iostream.BaseIOStream`).

    Raises:
        KeyError: a dict ``ssl_options`` has no ``certfile``.
        ValueError: the ``certfile`` or ``keyfile`` does not exist.
    """

    def __init__(
        self,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
    ) -> None:
        self.ssl_options = ssl_options
        self.max_buffer_size = max_buffer_size
        self.read_chunk_size = read_chunk_size
        self._ssl_context: ssl.SSLContext | None = None
        if isinstance(ssl_options, dict):
            if "certfile" not in ssl_options:
                raise KeyError('missing key "certfile" in ssl_options')
            if not os.path.exists(ssl_options["certfile"]):
                raise ValueError(f'certfile "{ssl_options["certfile"]}" does not exist')
            if "keyfile" in ssl_options and not os.path.exists(ssl_options["keyfile"]):
                raise ValueError(f'keyfile "{ssl_options["keyfile"]}" does not exist')
        if ssl_options is not None:
            self._ssl_context = ssl_options_to_context(ssl_options, server_side=True)
        self._sockets: dict[int, socket.socket] = {}
        self._pending_sockets: list[socket.socket] = []
        self._start_tasks: dict[int, asyncio.Task[None]] = {}
        self._servers: dict[int, asyncio.AbstractServer] = {}
        self._handler_futures: set[asyncio.Future[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False
        self._stopped = False

    def listen(  # noqa: PLR0917 - Tornado's positional signature
        self,
        port: int,
        address: str | None = None,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int = DEFAULT_BACKLOG,
        flags: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Start accepting connections on ``port`` (and ``address``).

        Binds with :func:`squall.netutil.bind_sockets` (same arguments) and calls
        :meth:`add_sockets`. Connections are accepted once the event loop runs.

        Args:
            port: the TCP port (0 picks a free one; read it from the socket).
            address: IP address or host name; None or ``""`` for all interfaces.
            family: ``AF_INET``/``AF_INET6`` to restrict the family, ``AF_UNSPEC`` for both.
            backlog: the ``listen()`` backlog.
            flags: ``AI_*`` flags for ``getaddrinfo``.
            reuse_port: set ``SO_REUSEPORT``.

        Raises:
            OSError: binding failed (e.g. ``EADDRINUSE``).
        """
        sockets = bind_sockets(port, address, family, backlog, flags, reuse_port)
        self._add_sockets(sockets, backlog)

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        """Start accepting connections on already-listening sockets.

        Args:
            sockets: listening sockets, e.g. from :func:`squall.netutil.bind_sockets`.
                The server owns them from now on; :meth:`stop` closes them. asyncio
                calls ``listen()`` on them again, with ``socket.SOMAXCONN`` (capped by
                the kernel).
        """
        self._add_sockets(sockets, socket.SOMAXCONN)

    def add_socket(self, socket: socket.socket) -> None:
        """Start accepting connections on one listening socket (see :meth:`add_sockets`).

        Args:
            socket: a listening socket.
        """
        self.add_sockets([socket])

    def bind(  # noqa: PLR0917 - Tornado's positional signature
        self,
        port: int,
        address: str | None = None,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int = DEFAULT_BACKLOG,
        flags: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        """Bind to ``port`` now; start accepting at :meth:`start` (deprecated in Tornado 6.2).

        Arguments as for :meth:`listen`. Prefer :meth:`listen` or :meth:`add_sockets`.

        Raises:
            OSError: binding failed.
        """
        sockets = bind_sockets(port, address, family, backlog, flags, reuse_port)
        if self._started:
            self._add_sockets(sockets, backlog)
        else:
            self._pending_sockets.extend(sockets)

    def start(self, num_processes: int | None = 1, max_restarts: int | None = None) -> None:
        """Start accepting on the sockets given to :meth:`bind` (deprecated in Tornado 6.2).

        Args:
            num_processes: only 1 is supported for now (``fork_processes`` is coming).
            max_restarts: unused until ``fork_processes`` exists.

        Raises:
            NotImplementedError: ``num_processes`` is not 1.
            RuntimeError: the server was already started.
        """
        del max_restarts
        if self._started:
            raise RuntimeError("TCPServer.start() called twice")
        if num_processes != 1:
            raise NotImplementedError("multi-process start needs squall.process.fork_processes")
        self._started = True
        sockets, self._pending_sockets = self._pending_sockets, []
        self._add_sockets(sockets, DEFAULT_BACKLOG)

    def stop(self) -> None:
        """Stop listening for new connections and close the listening sockets.

        Connections already accepted (their streams and ``handle_stream`` coroutines)
        carry on, as in Tornado. Calling it again does nothing.
        """
        if self._stopped:
            return
        self._stopped = True
        for fd, sock in list(self._sockets.items()):
            task = self._start_tasks.pop(fd, None)
            server = self._servers.pop(fd, None)
            if server is not None:
                server.close()
            if task is not None and not task.done():
                task.cancel()
            sock.close()
        self._sockets.clear()
        for sock in self._pending_sockets:
            sock.close()
        self._pending_sockets = []

    def handle_stream(self, stream: IOStream, address: Any) -> Awaitable[None] | None:
        """Override to handle a new :class:`~squall.iostream.IOStream`.

        May be a coroutine (``async def``); accepting is not blocked while it runs.
        Exceptions it raises (synchronously or from the coroutine) are logged once on
        the ``squall.application`` logger, and the stream is then closed so the
        connection is not leaked (Tornado only logs).

        Args:
            stream: the connection's stream (TLS already negotiated if configured).
            address: the peer address as returned by ``accept()`` (``(host, port)``
                for IPv4, a 4-tuple for IPv6, ``""`` for Unix sockets).

        Returns:
            None, or an awaitable the server keeps running.

        Raises:
            NotImplementedError: this base implementation.
        """
        raise NotImplementedError()

    # -------------------------------------------------------------- internals

    def _add_sockets(self, sockets: Iterable[socket.socket], backlog: int) -> None:
        loop = self._loop
        if loop is None:
            loop = self._loop = current_loop()
        for sock in sockets:
            fd = sock.fileno()
            self._sockets[fd] = sock
            self._stopped = False
            task = loop.create_task(self._serve(fd, sock, backlog))
            self._start_tasks[fd] = task
            task.add_done_callback(self._serve_done)

    async def _serve(self, fd: int, sock: socket.socket, backlog: int) -> None:
        loop = self._loop
        assert loop is not None
        # TLS is not given to asyncio here: each connection upgrades its plain
        # transport itself (SSLIOStream), to own the handshake's failures.
        server = await loop.create_server(
            self._make_protocol, sock=sock, backlog=backlog, start_serving=False
        )
        if self._sockets.get(fd) is not sock:  # stopped before we got here
            server.close()
            return
        self._servers[fd] = server
        await server.start_serving()

    def _serve_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            _app_log.error(
                "TCPServer could not listen", exc_info=(type(exc), exc, exc.__traceback__)
            )

    def _make_protocol(self) -> StreamProtocol:
        return StreamProtocol(on_connection=self._on_connection)

    def _on_connection(self, protocol: StreamProtocol, transport: asyncio.BaseTransport) -> None:
        loop = self._loop
        assert loop is not None
        if self._ssl_context is not None:
            self._start_tls_connection(loop, protocol, transport)
            return
        try:
            stream = IOStream._from_transport(
                protocol=protocol,
                transport=transport,
                loop=loop,
                max_buffer_size=self.max_buffer_size,
                read_chunk_size=self.read_chunk_size,
            )
        except Exception:
            _app_log.error("Error in connection callback", exc_info=True)
            transport.close()
            return
        self._run_handler(loop, stream, transport.get_extra_info("peername"))

    def _start_tls_connection(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol: StreamProtocol,
        transport: asyncio.BaseTransport,
    ) -> None:
        # Pause first: the ClientHello must stay in the kernel for the handshake.
        cast(asyncio.ReadTransport, transport).pause_reading()
        protocol.stream = None
        try:
            stream = SSLIOStream._for_upgrade(
                transport.get_extra_info("socket"),
                loop,
                ssl_options=self._ssl_context,
                server_side=True,
                server_hostname=None,
                max_buffer_size=self.max_buffer_size,
                read_chunk_size=self.read_chunk_size,
            )
        except Exception:
            _app_log.error("Error in connection callback", exc_info=True)
            transport.close()
            return
        address = transport.get_extra_info("peername")
        handshake = stream._start_upgrade(transport)
        handshake.add_done_callback(lambda f: self._handshake_done(f, loop, stream, address))

    def _handshake_done(
        self,
        future: asyncio.Future[SSLIOStream],
        loop: asyncio.AbstractEventLoop,
        stream: SSLIOStream,
        address: Any,
    ) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # closed; SSLIOStream logged the handshake failure once
        self._run_handler(loop, stream, address)

    def _run_handler(
        self, loop: asyncio.AbstractEventLoop, stream: IOStream, address: Any
    ) -> None:
        try:
            result = self.handle_stream(stream, address)
        except Exception:
            _app_log.error("Error in connection callback", exc_info=True)
            stream.close()
            return
        if result is None:
            return
        future = asyncio.ensure_future(result, loop=loop)
        self._handler_futures.add(future)
        future.add_done_callback(lambda f: self._handler_done(f, stream))

    def _handler_done(self, future: asyncio.Future[Any], stream: IOStream) -> None:
        self._handler_futures.discard(future)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            _app_log.error(
                "Exception in handle_stream of %r",
                self,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            stream.close()
