"""PipeIOStream: a BaseIOStream on one end of a pipe (asyncio pipe transports)."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import io
import os
import stat
from typing import Any, cast

from squall.iostream._base import BaseIOStream
from squall.iostream._errors import StreamClosedError
from squall.iostream._protocol import StreamProtocol
from squall.netutil._loop import current_loop

__all__ = ["PipeIOStream"]

# _attach_state values (as in _iostream.py)
_IDLE = 0  # the attach task has not run yet: the file object is ours
_HANDED_OVER = 1  # asyncio's pipe transport owns the file object


class _PipeTransport(asyncio.Transport):
    """Give a one-way asyncio pipe transport the full Transport interface.

    BaseIOStream drives a bidirectional transport; a pipe end reads *or* writes.
    The missing half is inert: a read end reports an empty write buffer, a write
    end has nothing to pause. Writes to a read end never get here
    (:meth:`PipeIOStream.write` refuses them).
    """

    __slots__ = ("_inner", "_readable")

    def __init__(self, inner: asyncio.BaseTransport, readable: bool) -> None:
        super().__init__()
        self._inner: Any = inner
        self._readable = readable

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._inner.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return bool(self._inner.is_closing())

    def close(self) -> None:
        self._inner.close()

    def abort(self) -> None:
        if self._readable:
            self._inner.close()
        else:
            self._inner.abort()

    def pause_reading(self) -> None:
        if self._readable:
            self._inner.pause_reading()

    def resume_reading(self) -> None:
        if self._readable:
            self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._readable and bool(self._inner.is_reading())

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._inner.write(data)

    def get_write_buffer_size(self) -> int:
        return 0 if self._readable else int(self._inner.get_write_buffer_size())

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if not self._readable:
            self._inner.set_write_buffer_limits(high, low)


class PipeIOStream(BaseIOStream):
    """A :class:`BaseIOStream` over a pipe file descriptor (Tornado's ``PipeIOStream``).

    Pipes are one-way, so a stream reads *or* writes: the direction is the fd's
    access mode (``O_WRONLY`` makes a writing stream; ``O_RDONLY``, and
    ``O_RDWR``, a reading one). The fd is driven by asyncio's
    ``loop.connect_read_pipe`` / ``connect_write_pipe`` transports, with the same
    buffering, backpressure and errors as :class:`IOStream`::

        r, w = os.pipe()
        reader, writer = PipeIOStream(r), PipeIOStream(w)
        await writer.write(b"hello\\n")
        line = await reader.read_until(b"\\n")

    When the other end closes, a reading stream sees EOF (and closes, so
    ``read_until_close`` resolves); a writing stream closes (its unflushed writes
    fail with :class:`StreamClosedError`, as on ``EPIPE`` in Tornado).

    Args:
        fd (int): the file descriptor of a pipe, socket or character device (not
            a regular file: asyncio's pipe transports refuse those). It is made
            non-blocking and the stream owns it: closing the stream closes it.
        max_buffer_size (int | None): see :class:`BaseIOStream`.
        read_chunk_size (int | None): see :class:`BaseIOStream`.
        max_write_buffer_size (int | None): see :class:`BaseIOStream`.

    Raises:
        ValueError: ``fd`` is not a pipe, socket or character device.
        OSError: ``fd`` is not an open file descriptor.

    Attributes:
        fd (int): the file descriptor.
    """

    __slots__ = ("_attach_state", "_attach_task", "_fio", "_readable", "fd")

    def __init__(
        self,
        fd: int,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> None:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)):
            raise ValueError(f"PipeIOStream needs a pipe, socket or character device, not fd {fd}")
        self._init_state(current_loop(), max_buffer_size, read_chunk_size, max_write_buffer_size)
        self.fd = fd
        self._readable = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_WRONLY
        os.set_blocking(fd, False)
        self._fio = io.FileIO(fd, "rb" if self._readable else "wb", closefd=True)
        self._attach_state = _IDLE
        self._attach_task: asyncio.Task[None] | None = self._loop.create_task(self._attach_pipe())
        self._attach_task.add_done_callback(self._attach_done)

    def fileno(self) -> int:
        """Return the pipe's file descriptor."""
        return self.fd

    def write(self, data: bytes | bytearray | memoryview) -> asyncio.Future[None]:
        """Write ``data`` to the pipe; see :meth:`BaseIOStream.write`.

        Writing to a reading stream closes it with ``OSError(EBADF)`` (what
        ``write(2)`` reports on a read end, as in Tornado) and returns a future
        failed with :class:`StreamClosedError`.
        """
        if self._readable and not self._closed:
            error = OSError(errno.EBADF, "PipeIOStream: the pipe is open for reading only")
            self.close(exc_info=error)
            future: asyncio.Future[None] = self._loop.create_future()
            future.set_exception(StreamClosedError(real_error=error))
            return future
        return super().write(data)

    # -------------------------------------------------------------- internals

    def _start_read(self) -> asyncio.Future[Any]:
        if not self._readable and not self._closed:
            # read(2) on a write end fails with EBADF: close, as Tornado does.
            self.close(exc_info=OSError(errno.EBADF, "PipeIOStream: open for writing only"))
        if self._closed and not self._readable:
            raise StreamClosedError(real_error=self.error)
        return super()._start_read()

    async def _attach_pipe(self) -> None:
        loop = self._loop
        fio = self._fio
        self._attach_state = _HANDED_OVER
        protocol = StreamProtocol(self)
        try:
            if self._readable:
                await loop.connect_read_pipe(lambda: protocol, fio)
            else:
                await loop.connect_write_pipe(lambda: protocol, fio)
        except Exception as e:
            fio.close()  # a transport that failed to start does not own it
            self.close(exc_info=e)

    def _attach_done(self, task: asyncio.Task[None]) -> None:
        self._attach_task = None
        if self._attach_state == _IDLE:  # cancelled before it ever ran
            self._fio.close()
            self.close()

    def _attach(self, transport: asyncio.BaseTransport) -> None:
        if self._closed:
            # Closed while connecting. Not closed right here: inside connection_made,
            # uvloop's pipe transports close the fd but leave the file object open.
            self._loop.call_soon(transport.close)
            return
        wrapped = _PipeTransport(transport, self._readable)
        super()._attach(cast(asyncio.BaseTransport, wrapped))

    def _close_unattached(self) -> None:
        task = self._attach_task
        if task is None:
            if self._attach_state == _IDLE:
                self._fio.close()
            return
        if self._attach_state == _IDLE:
            self._fio.close()
            task.cancel()
        # _HANDED_OVER: connection_made sees the stream closed and closes the transport.
