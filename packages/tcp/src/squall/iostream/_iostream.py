"""IOStream: a BaseIOStream on a TCP (or Unix) socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket as _socket
from typing import Any

from squall.iostream._base import BaseIOStream
from squall.iostream._errors import closed_error
from squall.iostream._protocol import StreamProtocol
from squall.netutil._loop import current_loop

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
            A future resolving to this stream once connected. If the connection
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
            protocol = StreamProtocol(self)
            self._attach_state = _HANDED_OVER
            await loop.connect_accepted_socket(lambda: protocol, sock)
        except asyncio.CancelledError:
            if self._attach_state == _CONNECTING:
                sock.close()
            raise
        except Exception as e:
            if self._attach_state == _CONNECTING:
                sock.close()
            self.close(exc_info=e)
            return
        future = self._connect_future
        if future is not None:
            self._connect_future = None
            if not future.done():
                if self.closed():  # may have closed while connect_accepted_socket ran
                    future.set_exception(closed_error(self.error))
                    future.exception()
                else:
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
