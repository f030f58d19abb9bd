"""IOStream: a BaseIOStream on a TCP (or Unix) socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket as _socket
import ssl
from typing import TYPE_CHECKING, Any

from squall.iostream._base import BaseIOStream
from squall.iostream._errors import closed_error
from squall.iostream._protocol import StreamProtocol
from squall.netutil._loop import current_loop

if TYPE_CHECKING:
    from squall.iostream._ssliostream import SSLIOStream

__all__ = ["IOStream"]

# _attach_state values
_IDLE = 0  # no attach task yet, or not started: the socket is ours
_CONNECTING = 1  # sock_connect in progress: the socket is ours
_HANDED_OVER = 2  # asyncio's transport owns the socket


class IOStream(BaseIOStream):
    """A :class:`BaseIOStream` over a socket, as Tornado's ``tornado.iostream.IOStream``.

    ``IOStream(sock)`` wraps a connected socket (the asyncio transport is set up by
    a task on the loop; reads and writes issued before it is ready wait for it), or
    an unconnected one that :meth:`connect` then connects::

        stream = IOStream(socket.socket())
        await stream.connect(("127.0.0.1", 8888))
        await stream.write(b"hello\\n")
        line = await stream.read_until(b"\\n", max_bytes=65536)

    Args:
        socket (socket.socket): a stream socket (TCP or Unix); made non-blocking.
            The stream owns it from now on: closing the stream closes it.
        max_buffer_size (int | None): see :class:`BaseIOStream`.
        read_chunk_size (int | None): see :class:`BaseIOStream`.
        max_write_buffer_size (int | None): see :class:`BaseIOStream`.

    Attributes:
        socket: the socket (for a server-side stream, asyncio's ``TransportSocket``
            view of it, which supports ``getpeername``, ``setsockopt`` and similar).
    """

    __slots__ = ("_attach_state", "_attach_task", "_connect_future", "socket")

    def __init__(
        self,
        socket: _socket.socket,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> None:
        self._init_state(current_loop(), max_buffer_size, read_chunk_size, max_write_buffer_size)
        self.socket: Any = socket
        self._connect_future: asyncio.Future[IOStream] | None = None
        self._attach_task: asyncio.Task[None] | None = None
        self._attach_state = _IDLE
        socket.setblocking(False)
        try:
            socket.getpeername()
        except OSError:
            return  # not connected yet: connect() will set up the transport
        self._start_attach(None)

    @classmethod
    def _from_transport(
        cls,
        *,
        protocol: StreamProtocol,
        transport: asyncio.BaseTransport,
        loop: asyncio.AbstractEventLoop,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> IOStream:
        """Build a stream on a transport asyncio already connected (server side)."""
        stream = cls.__new__(cls)
        stream._init_state(loop, max_buffer_size, read_chunk_size, max_write_buffer_size)
        stream.socket = transport.get_extra_info("socket")
        stream._connect_future = None
        stream._attach_task = None
        stream._attach_state = _HANDED_OVER
        protocol.stream = stream
        stream._attach(transport)
        return stream

    def connect(
        self, address: Any, server_hostname: str | None = None
    ) -> asyncio.Future[IOStream]:
        """Connect the (unconnected) socket to ``address``.

        Args:
            address: the address in the socket family's format, e.g.
                ``("127.0.0.1", 8888)`` for ``AF_INET``.
            server_hostname: only used by TLS streams; ignored here.

        Returns:
            A future resolving to this stream once connected. It resolves even if
            the peer has already sent data and closed by then (on uvloop the first
            reads can arrive before the transport is handed over): the data is
            buffered for the reads that follow, as in Tornado. If the connection
            fails, the stream is closed and the future fails with
            :class:`StreamClosedError` whose ``real_error`` is the ``OSError``.

        Raises:
            RuntimeError: the stream is already connected or connecting.
        """
        del server_hostname
        if self._attach_task is not None or self._transport is not None or self._closed:
            raise RuntimeError("IOStream.connect() on a connected, connecting or closed stream")
        future: asyncio.Future[IOStream] = self._loop.create_future()
        self._connect_future = future
        self._start_attach(address)
        return future

    def set_nodelay(self, value: bool) -> None:
        """Enable (True) or disable (False) Nagle's algorithm (``TCP_NODELAY``).

        Only meaningful for TCP sockets; ignored for other families and after
        close, as in Tornado. (asyncio enables ``TCP_NODELAY`` on its transports by
        default.)

        Args:
            value: True to send small writes immediately.
        """
        sock = self.socket
        if sock is None or self._closed or sock.family not in (_socket.AF_INET, _socket.AF_INET6):
            return
        with contextlib.suppress(OSError):  # the socket may already be gone (peer reset)
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1 if value else 0)

    def fileno(self) -> int:
        """Return the socket's file descriptor (-1 once closed)."""
        return int(self.socket.fileno())

    def start_tls(
        self,
        server_side: bool,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> asyncio.Future[SSLIOStream]:
        """Convert this stream to an :class:`SSLIOStream` (Tornado's ``IOStream.start_tls``).

        For protocols that start in clear text and switch to TLS after a
        negotiation (SMTP and IMAP ``STARTTLS``). asyncio's ``loop.start_tls``
        upgrades the existing transport in place. Call it when the stream is idle:
        no read pending, nothing left to flush and nothing in the read buffer (data
        still in the kernel's socket buffer is fine: reading is paused at once, so
        the peer's first TLS bytes go to the handshake). Afterwards this stream is
        detached: it reports :meth:`closed` and must not be used; its close
        callback moves to the new stream.

        Args:
            server_side: True to act as the TLS server, False as the client.
            ssl_options: an ``ssl.SSLContext`` or a dict for
                :func:`squall.netutil.ssl_options_to_context`; None uses the default
                context (the client one verifies the server against the system's CA
                store; the server one has no certificate).
            server_hostname: client side: the name sent in SNI and checked against
                the server's certificate (unless the context disables the check).

        Returns:
            A future resolving to the new :class:`SSLIOStream` once the handshake
            is done. If the handshake fails, the new stream is closed and the
            future fails with :class:`StreamClosedError` whose ``real_error`` is
            the ``ssl.SSLError``. Cancelling the future before the handshake ends
            closes the new stream and its socket (Tornado 6.6).

        Raises:
            ValueError: the stream is not idle, or its transport is not ready yet
                (``IOStream(sock)`` sets it up on the next loop iteration, unlike
                Tornado), or a client context checks host names and
                ``server_hostname`` is missing.
        """
        from squall.iostream._ssliostream import SSLIOStream  # noqa: PLC0415 - a subclass

        transport = self._transport
        if transport is None and not self._closed:
            raise ValueError(
                "IOStream is not connected yet; cannot convert to SSL (await connect(), "
                "or let the loop run once after IOStream(sock))"
            )
        if (
            transport is None
            or self._closed
            or self.reading()
            or self.writing()
            or len(self._rbuf) > self._rpos
            or self._connect_future is not None
        ):
            raise ValueError("IOStream is not idle; cannot convert to SSL")
        stream = SSLIOStream._for_upgrade(
            self.socket,
            self._loop,
            ssl_options=ssl_options,
            server_side=server_side,
            server_hostname=server_hostname,
            max_buffer_size=self.max_buffer_size,
            read_chunk_size=self.read_chunk_size,
            max_write_buffer_size=self.max_write_buffer_size,
        )
        # Detach: this stream stops reading now, before the peer's TLS bytes arrive.
        transport.pause_reading()
        protocol = transport.get_protocol()
        if isinstance(protocol, StreamProtocol):
            protocol.stream = None
        self._transport = None
        self._closed = True
        callback, self._close_callback = self._close_callback, None
        stream.set_close_callback(callback)
        return stream._start_upgrade(transport)

    # -------------------------------------------------------------- internals

    def _start_attach(self, address: Any) -> None:
        task = self._loop.create_task(self._attach_socket(address))
        self._attach_task = task
        task.add_done_callback(self._attach_done)

    async def _attach_socket(self, address: Any) -> None:
        sock = self.socket
        loop = self._loop
        self._attach_state = _CONNECTING
        try:
            if address is not None:
                await loop.sock_connect(sock, address)
            if self._closed:
                sock.close()
                return
            self._attach_state = _HANDED_OVER
            await self._open_transport(sock)
        except asyncio.CancelledError:
            if self._attach_state == _CONNECTING:
                sock.close()
            raise
        except Exception as e:
            if self._attach_state == _CONNECTING:
                sock.close()
            self.close(exc_info=e)
            return
        self._connected()

    async def _open_transport(self, sock: _socket.socket) -> None:
        """Hand the connected socket to an asyncio transport feeding this stream."""
        protocol = StreamProtocol(self)
        await self._loop.connect_accepted_socket(lambda: protocol, sock)

    def _connected(self) -> None:
        """The transport is ready: resolve the future returned by :meth:`connect`."""
        future = self._connect_future
        if future is not None:
            self._connect_future = None
            if not future.done():
                if self.closed():  # may have closed while the transport was set up
                    future.set_exception(closed_error(self.error))
                    future.exception()
                else:
                    future.set_result(self)

    def _on_eof(self) -> None:
        self._connect_succeeded()
        super()._on_eof()

    def _on_lost(self, exc: Exception | None) -> None:
        self._connect_succeeded()
        super()._on_lost(exc)

    def _connect_succeeded(self) -> None:
        """The transport reported an event, so the connection was made: resolve ``connect``.

        uvloop runs the new transport's first reads before ``connect_accepted_socket``
        returns, so a peer that accepts and hangs up at once (or a greeting server
        that writes and closes) would otherwise fail ``connect`` with
        :class:`StreamClosedError` although the connection was established. As in
        Tornado, ``connect`` resolves and the reads that follow see the data and EOF.
        """
        future = self._connect_future
        if future is not None and not self._closed and self._transport is not None:
            self._connect_future = None
            if not future.done():
                future.set_result(self)

    def _attach_done(self, task: asyncio.Task[None]) -> None:
        self._attach_task = None
        if self._attach_state == _IDLE:  # cancelled before it ever ran
            self.socket.close()
            self.close()

    def _close_unattached(self) -> None:
        task = self._attach_task
        if task is None:
            if self._attach_state == _IDLE:
                self.socket.close()  # never connected, nothing registered it
            return
        if self._attach_state == _IDLE:
            self.socket.close()
            task.cancel()
        elif self._attach_state == _CONNECTING:
            task.cancel()  # the task closes the socket once sock_connect let go of it
        # _HANDED_OVER: connection_made will see the stream closed and close the transport.

    def _signal_closed(self) -> None:
        super()._signal_closed()
        future = self._connect_future
        if future is not None:
            self._connect_future = None
            if not future.done():
                future.set_exception(closed_error(self.error))
                future.exception()
