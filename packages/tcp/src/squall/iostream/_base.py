"""BaseIOStream: buffered reads and writes over an asyncio transport."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable
from types import TracebackType
from typing import cast

from squall.iostream._errors import StreamBufferFullError, StreamClosedError, closed_error
from squall.iostream._readbuffer import _BYTES, _CLOSE, _INTO, _REGEX, _UNTIL, _ReadBuffer
from squall.netutil._loop import current_loop

__all__ = ["BaseIOStream"]

_app_log = logging.getLogger("squall.application")

_DEFAULT_MAX_BUFFER_SIZE = 104857600  # 100 MiB, as in Tornado
# Tornado reads 64 KiB at a time; squall receives up to 256 KiB (what asyncio's own
# transports receive at once): on a busy stream one loop iteration then serves
# several 64 KiB reads, which measured about 15% less CPU per byte on bulk echo.
_DEFAULT_READ_CHUNK_SIZE = 262144


_ExcInfo = (
    bool
    | BaseException
    | tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    | None
)


class BaseIOStream(_ReadBuffer):
    """A buffered, non-blocking byte stream on an asyncio transport.

    The asyncio protocol behind the stream hands each received chunk to the
    stream's read buffer; reads are served from it. Reading pauses (``pause_reading``)
    while more than ``max_buffer_size`` bytes are buffered and no read is waiting.
    Writes go straight to the transport; the write future resolves once the
    transport's buffer has been handed to the kernel, so awaiting it gives
    backpressure. This mirrors Tornado's ``tornado.iostream.BaseIOStream``.

    Only one read may be pending at a time. Every read method returns an
    ``asyncio.Future`` (already resolved if the buffer could satisfy it: then no
    event loop iteration is needed, so a pipelined protocol can parse a whole
    batch of buffered requests without yielding).

    Args:
        max_buffer_size (int | None): the most bytes (default 100 MiB) to buffer for
            reading; a read that cannot complete within it fails with
            :class:`StreamBufferFullError` and the stream is closed.
        read_chunk_size (int | None): the most bytes received from the socket at
            a time (default 256 KiB where Tornado reads 64 KiB; at most half of
            ``max_buffer_size``). Kept in :attr:`read_chunk_size`; asyncio's pipe
            transports choose their own size.
        max_write_buffer_size (int | None): the most bytes that may wait in the write
            buffer (default unlimited); :meth:`write` raises
            :class:`StreamBufferFullError` beyond it.

    Attributes:
        error (BaseException | None): the exception that closed the stream, if any.
    """

    __slots__ = (
        "__weakref__",
        "_close_callback",
        "_closed",
        "_loop",
        "_pending_writes",
        "_transport",
        "_write_done",
        "_write_futures",
        "_write_paused",
        "error",
        "max_buffer_size",
        "max_write_buffer_size",
        "read_chunk_size",
    )

    def __init__(
        self,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> None:
        self._init_state(current_loop(), max_buffer_size, read_chunk_size, max_write_buffer_size)

    def _init_state(
        self,
        loop: asyncio.AbstractEventLoop,
        max_buffer_size: int | None,
        read_chunk_size: int | None,
        max_write_buffer_size: int | None,
    ) -> None:
        self._loop = loop
        self.max_buffer_size = max_buffer_size or _DEFAULT_MAX_BUFFER_SIZE
        self.read_chunk_size = min(
            read_chunk_size or _DEFAULT_READ_CHUNK_SIZE, self.max_buffer_size // 2
        )
        self.max_write_buffer_size = max_write_buffer_size
        self.error: BaseException | None = None
        self._transport: asyncio.Transport | None = None
        self._init_read_buffer()  # see _readbuffer.py for its layout
        self._write_paused = False
        self._write_futures: list[asyncio.Future[None]] | None = None
        self._write_done: asyncio.Future[None] | None = None
        self._pending_writes: list[bytes] | None = None
        self._close_callback: Callable[[], None] | None = None
        self._closed = False

    # ------------------------------------------------------------------ reads

    def read_until(self, delimiter: bytes, max_bytes: int | None = None) -> asyncio.Future[bytes]:
        """Read until ``delimiter`` has been found; the result includes it.

        Args:
            delimiter: the non-empty byte string that ends the read.
            max_bytes: if not None, the delimiter must end within this many bytes
                (counted from the start of the read); otherwise the stream is closed
                and the read fails with :class:`UnsatisfiableReadError` (which is
                also a :class:`StreamClosedError`), as in Tornado.

        Returns:
            A future resolving to the bytes read, delimiter included.

        Raises:
            ValueError: ``delimiter`` is empty.
            StreamClosedError: the stream is closed and its buffer cannot satisfy
                the read.
            RuntimeError: another read is already pending.
        """
        if not delimiter:
            raise ValueError("read_until needs a non-empty delimiter")
        if self._read_future is None:
            # Fast path: the buffer already holds the delimiter (a pipelined peer).
            # Anything else (not found, over max_bytes, a cancelled read still to
            # clear) takes the general path below.
            buf = self._rbuf
            pos = self._rpos
            if max_bytes is None:
                loc = buf.find(delimiter, pos)
            else:
                loc = buf.find(delimiter, pos, pos + max_bytes) if max_bytes > 0 else -1
            if loc >= 0:
                end = loc + len(delimiter)
                future = self._loop.create_future()
                if end < len(buf) and isinstance(buf, bytes):  # _take's common case, inlined
                    self._rpos = end
                    future.set_result(buf[pos:end])
                else:
                    future.set_result(self._take(end))
                if self._read_paused:
                    self._maybe_resume_reading()
                return future
        future = self._start_read()
        self._read_kind = _UNTIL
        self._read_target = bytes(delimiter)
        self._read_max = max_bytes
        if self._rbuf or self._closed or (max_bytes is not None and max_bytes <= 0):
            self._try_inline_read()
        # else: nothing buffered (and nothing to fail): wait for data.
        return future

    def read_until_regex(
        self, regex: bytes | re.Pattern[bytes], max_bytes: int | None = None
    ) -> asyncio.Future[bytes]:
        """Read until the buffer holds a match of ``regex``; the result ends with it.

        The whole buffered data is searched again each time new data arrives (a
        regular expression cannot be resumed), so give ``max_bytes`` for untrusted
        peers to bound the work.

        Args:
            regex: a bytes pattern or a compiled bytes regular expression.
            max_bytes: if not None, the match must end within this many bytes;
                otherwise the stream is closed and the read fails with
                :class:`UnsatisfiableReadError` (also a :class:`StreamClosedError`).

        Returns:
            A future resolving to the bytes up to and including the match.

        Raises:
            StreamClosedError: the stream is closed and its buffer cannot satisfy
                the read.
            RuntimeError: another read is already pending.
        """
        pattern = regex if isinstance(regex, re.Pattern) else re.compile(regex)
        future = self._start_read()
        self._read_kind = _REGEX
        self._read_target = pattern
        self._read_max = max_bytes
        self._try_inline_read()
        return future

    def read_bytes(self, num_bytes: int, partial: bool = False) -> asyncio.Future[bytes]:
        """Read exactly ``num_bytes`` bytes (or, with ``partial``, at least one).

        Args:
            num_bytes: how many bytes to read (>= 0).
            partial: if True, resolve as soon as any data is available, with at most
                ``num_bytes`` bytes.

        Returns:
            A future resolving to the bytes read.

        Raises:
            ValueError: ``num_bytes`` is negative.
            StreamClosedError: the stream is closed and its buffer cannot satisfy
                the read.
            RuntimeError: another read is already pending.
        """
        if num_bytes < 0:
            raise ValueError("num_bytes must be >= 0")
        if self._read_future is None:
            # Fast path: the buffer already holds enough (see read_until).
            buf = self._rbuf
            pos = self._rpos
            left = len(buf) - pos
            if left > num_bytes and isinstance(buf, bytes):  # _take's common case, inlined
                future = self._loop.create_future()
                end = self._rpos = pos + num_bytes
                future.set_result(buf[pos:end])
                if self._read_paused:
                    self._maybe_resume_reading()
                return future
            if left >= num_bytes or (partial and left):
                future = self._loop.create_future()
                future.set_result(self._take(pos + (num_bytes if left >= num_bytes else left)))
                if self._read_paused:
                    self._maybe_resume_reading()
                return future
        future = self._start_read()
        self._read_kind = _BYTES
        self._read_target = num_bytes
        self._read_partial = partial
        if self._rbuf or self._closed or not num_bytes:
            self._try_inline_read()
        # else: nothing buffered: wait for data.
        return future

    def read_into(self, buf: bytearray | memoryview, partial: bool = False) -> asyncio.Future[int]:
        """Read into ``buf`` until it is full (or, with ``partial``, any data arrived).

        Args:
            buf: a writable buffer; ``len(buf)`` bytes are wanted.
            partial: if True, resolve as soon as any data is available.

        Returns:
            A future resolving to the number of bytes copied into ``buf``.

        Raises:
            StreamClosedError: the stream is closed and its buffer cannot satisfy
                the read.
            RuntimeError: another read is already pending.
        """
        future = self._start_read()
        self._read_kind = _INTO
        self._read_target = buf
        self._read_partial = partial
        self._try_inline_read()
        return future

    def read_until_close(self) -> asyncio.Future[bytes]:
        """Read everything until the peer closes the connection.

        Returns:
            A future resolving to all the data (also when the stream is already
            closed: then it holds what is left in the buffer). If more than
            ``max_buffer_size`` bytes arrive first, it fails with
            :class:`StreamBufferFullError` (also a :class:`StreamClosedError`).

        Raises:
            RuntimeError: another read is already pending.
        """
        future = self._start_read()
        self._read_kind = _CLOSE
        self._try_inline_read()
        return future

    def reading(self) -> bool:
        """Return True while a read is pending."""
        future = self._read_future
        return future is not None and not future.done()

    def unread(self, data: bytes | bytearray | memoryview) -> None:
        """Put ``data`` back at the front of the read buffer (a squall extension).

        The next read returns these bytes before anything received later. Meant
        for a protocol layer that read ahead and hands the stream over to a new
        owner (the HTTP/1.1 connection does this when a request upgrades the
        connection, e.g. to WebSocket): the bytes it had buffered but not used go
        back to the stream. Tornado has no equivalent.

        Args:
            data: the bytes to put back (may be empty).

        Raises:
            RuntimeError: a read is pending (put data back between reads only).
        """
        if self.reading():
            raise RuntimeError("unread() while a read is pending")
        if data:
            self._rbuf = bytes(data) + self._rbuf[self._rpos :]
            self._rpos = 0

    # ----------------------------------------------------------------- writes

    def write(self, data: bytes | bytearray | memoryview) -> asyncio.Future[None]:
        """Write ``data`` to the stream.

        Args:
            data: the bytes to send.

        Returns:
            A future that resolves (to None) once this and all earlier data has been
            handed to the kernel; it fails with :class:`StreamClosedError` if the
            stream closes first. Awaiting it is how a writer respects backpressure.
            When the transport took the data whole, the future is already resolved;
            squall then returns the same resolved future for every such write of
            the stream instead of a new one each time (it cannot be cancelled or
            changed, so sharing it is not observable except by identity).

        Raises:
            StreamClosedError: the stream is closed.
            StreamBufferFullError: the write buffer would exceed
                ``max_write_buffer_size``.
        """
        if self._closed:
            raise StreamClosedError(real_error=self.error)
        transport = self._transport
        limit = self.max_write_buffer_size
        if transport is not None and limit is None and not self._write_paused:
            # Fast path: nothing is waiting to be flushed, so if the transport takes
            # this data whole the write is complete at once (the general path below
            # handles limits, a transport not attached yet, and parked writes).
            if not data:
                return self._write_completed()
            transport.write(data)
            if not self._write_paused and not transport.is_closing():
                return self._write_completed()
            future: asyncio.Future[None] = self._loop.create_future()
            self._park_write(future)
            return future
        size = len(data)
        if not size:
            return self._write_completed()
        future = self._loop.create_future()
        if transport is None:
            pending = self._pending_writes
            if pending is None:
                pending = self._pending_writes = []
            if limit is not None and sum(map(len, pending)) + size > limit:
                raise StreamBufferFullError("Reached maximum write buffer size")
            pending.append(bytes(data))
            self._park_write(future)
            return future
        if limit is not None and transport.get_write_buffer_size() + size > limit:
            raise StreamBufferFullError("Reached maximum write buffer size")
        transport.write(data)
        if self._write_paused or transport.is_closing():
            self._park_write(future)
        else:
            future.set_result(None)
        return future

    def _write_completed(self) -> asyncio.Future[None]:
        """Return the stream's shared, already resolved write future."""
        future = self._write_done
        if future is None:
            future = self._write_done = self._loop.create_future()
            future.set_result(None)
        return future

    def writing(self) -> bool:
        """Return True while written data is still waiting to reach the kernel."""
        return self._write_paused or bool(self._pending_writes)

    def set_nodelay(self, value: bool) -> None:
        """Enable or disable ``TCP_NODELAY``; a no-op here, overridden by :class:`IOStream`.

        Args:
            value: True to send small writes immediately.
        """
        del value

    # ------------------------------------------------------------------ close

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback()`` (once, on the event loop) when the stream closes.

        As in Tornado, a callback set after the stream closed is not called.
        Exceptions it raises are logged on ``squall.application``.

        Args:
            callback: a function of no arguments, or None to clear it.
        """
        self._close_callback = callback

    def close(self, exc_info: _ExcInfo = False) -> None:
        """Close the stream (idempotent).

        Pending reads fail with :class:`StreamClosedError` (``read_until_close``
        resolves with the buffered data instead), unflushed writes fail with it, and
        the close callback is scheduled on the loop. Data still waiting in the
        transport's write buffer is discarded, as Tornado does.

        Args:
            exc_info: if true, record the exception that caused the close in
                :attr:`error`: an exception instance, a ``sys.exc_info()`` tuple, or
                ``True`` for the exception currently being handled.
        """
        if self._closed:
            return
        self._closed = True
        self._data_hook = None
        if exc_info:
            if isinstance(exc_info, tuple):
                self.error = exc_info[1]
            elif isinstance(exc_info, BaseException):
                self.error = exc_info
            else:
                self.error = sys.exc_info()[1]
        transport = self._transport
        if transport is not None:
            self._read_paused = False
            if transport.get_write_buffer_size():
                transport.abort()
            else:
                transport.close()
        else:
            self._close_unattached()
        self._signal_closed()

    def closed(self) -> bool:
        """Return True once the stream has been closed."""
        return self._closed

    # -------------------------------------------------------------- internals

    def _close_unattached(self) -> None:
        """Release resources of a stream that never got its transport."""

    def _signal_closed(self) -> None:
        error = self.error
        future = self._read_future
        if future is not None:
            self._read_future = None
            if not future.done():
                if self._read_kind == _CLOSE:
                    future.set_result(self._take(len(self._rbuf)))
                else:
                    future.set_exception(closed_error(error))
                    future.exception()  # nobody may await it: do not log it as lost
        self._fail_writes()
        callback = self._close_callback
        if callback is not None:
            self._close_callback = None
            if not self._loop.is_closed():
                self._loop.call_soon(self._run_close_callback, callback)

    def _fail_writes(self) -> None:
        futures = self._write_futures
        self._write_futures = None
        self._pending_writes = None
        if futures:
            for future in futures:
                if not future.done():
                    future.set_exception(closed_error(self.error))
                    future.exception()

    @staticmethod
    def _run_close_callback(callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            _app_log.exception("Exception in close callback %r", callback)

    def _park_write(self, future: asyncio.Future[None]) -> None:
        futures = self._write_futures
        if futures is None:
            self._write_futures = [future]
        else:
            futures.append(future)

    # ------------------------------------------------- transport callbacks

    def _attach(self, transport: asyncio.BaseTransport) -> None:
        """The transport is connected: start using it."""
        self._transport = transport = cast(asyncio.Transport, transport)
        if self._closed:
            transport.close()
            return
        # SSL transports pause at ">= high", plain ones at "> high": both then report
        # "anything buffered" and resume only when the buffer is empty.
        ssl = transport.get_extra_info("ssl_object") is not None
        transport.set_write_buffer_limits(high=1 if ssl else 0, low=0)
        pending = self._pending_writes
        if pending:
            self._pending_writes = None
            for chunk in pending:
                transport.write(chunk)
            if not self._write_paused and not transport.is_closing():
                self._on_drained()

    def _on_eof(self) -> None:
        self.close()

    def _on_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.error is None and not self._closed:
            self.error = exc
        self.close()

    def _on_drained(self) -> None:
        self._write_paused = False
        futures = self._write_futures
        if futures:
            self._write_futures = None
            for future in futures:
                if not future.done():
                    future.set_result(None)
