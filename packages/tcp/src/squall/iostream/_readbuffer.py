"""The read buffer of a stream and its pending read (the private half of BaseIOStream)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from squall.iostream._errors import (
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
    closed_error,
)

if TYPE_CHECKING:
    from squall.iostream._base import BaseIOStream

__all__ = ["_ReadBuffer"]

_gen_log = logging.getLogger("squall.general")

# What the pending read waits for (``_read_kind``).
_UNTIL = 1
_REGEX = 2
_BYTES = 3
_INTO = 4
_CLOSE = 5

# Read buffer tuning (see _ReadBuffer._on_data and _copy_out).
_MERGE_AS_BYTES = 2048  # an unread rest this small is joined with the next chunk as bytes
_SMALL_COPY = 4096  # below this, bytes(bytearray[a:b]) is cheaper than a memoryview copy


class _ReadBuffer:
    """The read buffer, the one pending read, and read backpressure.

    The unread bytes are ``self._rbuf[self._rpos:]``. ``_rbuf`` is usually a chunk
    exactly as it was received (immutable ``bytes``, so a read is one slice and a
    read of the whole chunk is no copy at all), or a ``bytearray`` while data
    accumulates over several chunks. Consumed bytes are skipped by moving
    ``_rpos``; they are dropped when a read has to wait (``_start_read``) or the
    next chunk arrives (``_on_data``), never per read. While a read is pending,
    ``_rpos`` is 0.

    :class:`~squall.iostream.BaseIOStream` adds the public read methods (with their
    fast paths), writes and closing.
    """

    __slots__ = (
        "_data_hook",
        "_rbuf",
        "_read_future",
        "_read_kind",
        "_read_max",
        "_read_partial",
        "_read_paused",
        "_read_target",
        "_rpos",
        "_scan_pos",
    )

    if TYPE_CHECKING:  # provided by BaseIOStream
        _loop: asyncio.AbstractEventLoop
        _closed: bool
        _transport: asyncio.Transport | None
        error: BaseException | None
        max_buffer_size: int

        def close(self, exc_info: Any = False) -> None: ...

    def _init_read_buffer(self) -> None:
        self._rbuf: bytes | bytearray = b""
        self._rpos = 0
        self._scan_pos = 0  # relative to _rpos: where the delimiter search resumes
        self._read_future: asyncio.Future[Any] | None = None
        self._read_kind = 0
        self._read_target: Any = None
        self._read_max: int | None = None
        self._read_partial = False
        self._read_paused = False
        self._data_hook: Callable[[BaseIOStream], None] | None = None

    # -------------------------------------------- the squall-internal data hook

    def _set_data_hook(self, hook: Callable[[BaseIOStream], None] | None) -> None:
        """Call ``hook(stream)`` synchronously whenever data arrives and no read is pending.

        Private and squall-internal (the HTTP/1.1 server uses it to answer a
        request inside the transport's callback, without a read future and a task
        wake-up per request). Semantics:

        * the hook runs on the stack of the protocol's ``buffer_updated`` /
          ``data_received``, after the bytes were appended to the read buffer;
        * a pending read wins: it is served as usual and the hook is not called;
        * the hook consumes from the front of the buffer with
          :meth:`_read_buffered` (or consumes nothing: the bytes stay buffered for
          a later read or hook call); it may write, and it may start a read (the
          read then owns the stream: later data goes to it, not to the hook);
        * an exception from the hook is logged on ``squall.general`` and closes
          the stream with it as :attr:`error`;
        * backpressure is unchanged: more than ``max_buffer_size`` bytes still
          buffered after the hook returns pause reading;
        * ``close()`` drops the hook; ``None`` removes it.

        Args:
            hook: a function of the stream, or None.
        """
        self._data_hook = hook

    def _read_buffered(self, max_bytes: int | None = None) -> bytes:
        """Consume and return up to ``max_bytes`` (default: all) buffered bytes.

        For data hooks: no future. A whole received chunk is returned without a
        copy.

        Raises:
            RuntimeError: a read is pending (it owns the buffered bytes).
        """
        future = self._read_future
        if future is not None and not future.done():
            raise RuntimeError("_read_buffered() while a read is pending")
        buf = self._rbuf
        end = len(buf)
        if max_bytes is not None and self._rpos + max_bytes < end:
            end = self._rpos + max_bytes
        data = self._take(end)
        if self._read_paused:
            self._maybe_resume_reading()
        return data

    def _buffered_size(self) -> int:
        """The number of buffered bytes not consumed yet."""
        return len(self._rbuf) - self._rpos

    def _call_data_hook(self, hook: Callable[[BaseIOStream], None]) -> None:
        try:
            hook(self)  # type: ignore[arg-type]  # only BaseIOStream has a read buffer
        except Exception as e:
            _gen_log.error("Exception in stream data hook %r", hook, exc_info=True)
            self.close(exc_info=e)

    def _start_read(self) -> asyncio.Future[Any]:
        future = self._read_future
        if future is not None and not future.done():
            raise RuntimeError("Already reading")
        if self._rpos:
            # The read may have to wait: drop the consumed prefix now, so that a
            # waiting stream holds only its unread bytes and a pending read always
            # sees them starting at index 0 (_find_read_pos's regex relies on it).
            self._compact()
        future = self._loop.create_future()
        self._read_future = future
        self._scan_pos = 0
        self._read_max = None
        self._read_partial = False
        return future

    def _try_inline_read(self) -> None:
        self._try_read()
        if self._read_future is None:
            return
        if self._closed:
            # Closed, and the buffer cannot satisfy the read: raise, as Tornado does.
            self._read_future = None
            raise StreamClosedError(real_error=self.error)
        if len(self._rbuf) - self._rpos > self.max_buffer_size:
            self._buffer_over()

    def _try_read(self) -> None:
        """Complete the pending read if the buffer can satisfy it."""
        future = self._read_future
        if future is None:
            return
        if future.done():  # cancelled by its awaiter: drop it, keep the data
            self._read_future = None
            return
        try:
            end = self._find_read_pos()
        except UnsatisfiableReadError as e:
            _gen_log.info("Unsatisfiable read, closing connection: %s", e)
            self.close(exc_info=e)
            return
        if end < 0:
            return
        self._read_future = None
        target = self._read_target
        self._read_target = None
        buf = self._rbuf
        pos = self._rpos
        if self._read_kind == _INTO:
            with memoryview(buf) as view:
                target[: end - pos] = view[pos:end]
            self._take(end, copy=False)
            future.set_result(end - pos)
        elif isinstance(buf, bytes):  # _take, inlined for the usual case
            if end == len(buf):
                self._rbuf = b""
                self._rpos = 0
                future.set_result(buf if not pos else buf[pos:])
            else:
                self._rpos = end
                future.set_result(buf[pos:end])
        else:
            future.set_result(self._take(end))
        if self._read_paused:
            self._maybe_resume_reading()

    def _find_read_pos(self) -> int:
        """Return the buffer index where the pending read ends, or -1."""
        buf = self._rbuf
        pos = self._rpos
        size = len(buf) - pos
        kind = self._read_kind
        max_bytes = self._read_max
        if kind == _UNTIL:
            delimiter: bytes = self._read_target
            end = size if max_bytes is None or max_bytes > size else max_bytes
            loc = buf.find(delimiter, pos + self._scan_pos, pos + end)
            if loc >= 0:
                return loc + len(delimiter)
            if max_bytes is not None and size >= max_bytes:
                raise UnsatisfiableReadError(
                    f"delimiter {delimiter!r} not found within {max_bytes} bytes"
                )
            resume = end - len(delimiter) + 1
            self._scan_pos = max(self._scan_pos, resume)
            return -1
        if kind in (_BYTES, _INTO):
            want = self._read_target if kind == _BYTES else len(self._read_target)
            if size >= want:
                return pos + int(want)
            if self._read_partial and size:
                return pos + size
            return -1
        if kind == _REGEX:
            if pos:  # pragma: no cover - _start_read compacts, data only appends
                self._compact()
                buf = self._rbuf
            match = self._read_target.search(buf)
            if match is not None:
                if max_bytes is not None and match.end() > max_bytes:
                    raise UnsatisfiableReadError(
                        f"regex {self._read_target.pattern!r} not matched within {max_bytes} bytes"
                    )
                return int(match.end())
            if max_bytes is not None and size >= max_bytes:
                raise UnsatisfiableReadError(
                    f"regex {self._read_target.pattern!r} not matched within {max_bytes} bytes"
                )
            return -1
        # _CLOSE
        return len(buf) if self._closed else -1

    def _take(self, end: int, copy: bool = True) -> bytes:
        """Remove the unread bytes up to buffer index ``end``; return them if ``copy``."""
        buf = self._rbuf
        pos = self._rpos
        if end >= len(buf):
            self._rbuf = b""  # drop the chunk (or bytearray) at once
            self._rpos = 0
        else:
            self._rpos = end
        if not copy:
            return b""
        if isinstance(buf, bytes):
            # One slice; a whole untouched chunk is returned as is (no copy).
            return buf[pos:end]
        return _copy_out(buf, pos, end)

    def _compact(self) -> None:
        """Drop the consumed prefix of the buffer (copying at most the unread rest)."""
        buf = self._rbuf
        if isinstance(buf, bytes):
            self._rbuf = buf[self._rpos :]
        else:
            del buf[: self._rpos]  # O(1) amortized: CPython moves the bytearray's start
        self._rpos = 0

    def _maybe_resume_reading(self) -> None:
        """Reading is paused: resume it once reads brought the buffer under its limit."""
        if len(self._rbuf) - self._rpos <= self.max_buffer_size:
            self._resume_reading()

    @property
    def _buffer(self) -> bytearray:
        """The unread bytes as a bytearray that may be modified in place.

        Kept for code written against the earlier layout (a plain ``bytearray``
        holding only unread data), e.g. ``stream._buffer[:0] = data``; it converts
        the buffer to that layout first. New code uses :meth:`unread`.
        """
        buf = self._rbuf
        if isinstance(buf, bytes):
            self._rbuf = buf = bytearray(buf[self._rpos :])
        elif self._rpos:
            del buf[: self._rpos]
        self._rpos = 0
        assert isinstance(buf, bytearray)
        return buf

    def _buffer_over(self) -> None:
        """The buffer holds more than max_buffer_size bytes."""
        future = self._read_future
        if future is not None and not future.done():
            error = StreamBufferFullError("Reached maximum read buffer size")
            self._read_future = None
            future.set_exception(closed_error(error))
            future.exception()
            self.close(exc_info=error)
        elif not self._read_paused and not self._closed:
            transport = self._transport
            if transport is not None:
                self._read_paused = True
                transport.pause_reading()

    def _resume_reading(self) -> None:
        self._read_paused = False
        transport = self._transport
        if transport is not None and not self._closed:
            transport.resume_reading()

    def _on_data(self, data: bytes | bytearray | memoryview) -> None:
        """Take received bytes (``data`` may be a view of a reused buffer: copy it)."""
        if self._closed:
            return
        buf = self._rbuf
        pos = self._rpos
        left = len(buf) - pos
        if not left:
            # The usual case: keep the chunk itself (as bytes), reads slice it.
            self._rbuf = data if type(data) is bytes else bytes(data)
            self._rpos = 0
        elif isinstance(buf, bytes) and left <= _MERGE_AS_BYTES:
            # A short rest (a request cut by the packet boundary): join it with the
            # chunk, still as bytes. Bounded, so repeated joins cannot go quadratic.
            self._rbuf = buf[pos:] + data
            self._rpos = 0
        else:
            # Data accumulates over chunks: append to a bytearray (amortized O(1)).
            if isinstance(buf, bytes):
                with memoryview(buf) as view:
                    self._rbuf = buf = bytearray(view[pos:])  # one copy of the rest
            elif pos:
                del buf[:pos]
            self._rpos = 0
            buf += data
        future = self._read_future
        if future is not None and future.done():
            # Cancelled (or failed) by its awaiter: drop it, keep the data.
            self._read_future = future = None
        if future is not None:
            self._try_read()
        elif self._data_hook is not None:
            self._call_data_hook(self._data_hook)
        if len(self._rbuf) - self._rpos > self.max_buffer_size and not self._closed:
            self._buffer_over()


def _copy_out(buf: bytearray, start: int, end: int) -> bytes:
    """Return ``bytes(buf[start:end])`` with a single copy for large ranges."""
    if end - start <= _SMALL_COPY:
        return bytes(buf[start:end])  # two small copies beat building a memoryview
    with memoryview(buf) as view:
        return view[start:end].tobytes()
