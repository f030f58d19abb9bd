"""The exceptions raised by :mod:`squall.iostream`."""

from __future__ import annotations

__all__ = [
    "StreamBufferFullError",
    "StreamClosedError",
    "UnsatisfiableReadError",
    "closed_error",
]


class StreamClosedError(IOError):
    """Raised by a stream's methods when the stream is (or becomes) closed.

    Follows Tornado's ``tornado.iostream.StreamClosedError``: a read pending when the
    peer closes fails with this error (except ``read_until_close``, which resolves
    with whatever was buffered), and so does every write not yet flushed.

    Args:
        real_error (BaseException | None): the exception that caused the close, if
            any (for example the ``ConnectionResetError`` reported by the kernel, or
            an :class:`UnsatisfiableReadError`). Also available as
            :attr:`real_error`.
    """

    def __init__(self, real_error: BaseException | None = None) -> None:
        super().__init__("Stream is closed")
        self.real_error = real_error


class UnsatisfiableReadError(Exception):
    """Raised when a read cannot be satisfied within its ``max_bytes`` limit.

    Raised by ``read_until`` and ``read_until_regex`` when the delimiter (or a
    match) was not found within ``max_bytes`` bytes. The stream is closed, as in
    Tornado. The pending read future fails with an exception that is both a
    :class:`StreamClosedError` (whose ``real_error`` is the original
    :class:`UnsatisfiableReadError`) and an :class:`UnsatisfiableReadError`, so
    either ``except`` clause catches it.
    """


class StreamBufferFullError(Exception):
    """Raised when a stream's read or write buffer would exceed its limit.

    A write raises it synchronously when ``max_write_buffer_size`` would be
    exceeded. A pending read that cannot complete while the read buffer holds more
    than ``max_buffer_size`` bytes fails with an exception that is both a
    :class:`StreamClosedError` (``real_error`` is the :class:`StreamBufferFullError`)
    and a :class:`StreamBufferFullError`; the stream is closed, as in Tornado.
    """


class _ClosedUnsatisfiableError(StreamClosedError, UnsatisfiableReadError):
    """A close caused by an unsatisfiable read: catchable as either class."""


class _ClosedBufferFullError(StreamClosedError, StreamBufferFullError):
    """A close caused by a full read buffer: catchable as either class."""


def closed_error(real_error: BaseException | None) -> StreamClosedError:
    """Build the StreamClosedError that pending operations fail with.

    Args:
        real_error: the exception that closed the stream, or None for a clean close.

    Returns:
        A new :class:`StreamClosedError`; when ``real_error`` is an
        :class:`UnsatisfiableReadError` or :class:`StreamBufferFullError` the result is
        also an instance of that class.
    """
    if isinstance(real_error, UnsatisfiableReadError):
        return _ClosedUnsatisfiableError(real_error)
    if isinstance(real_error, StreamBufferFullError):
        return _ClosedBufferFullError(real_error)
    return StreamClosedError(real_error)
