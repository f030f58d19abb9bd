"""Buffered non-blocking streams on asyncio transports (Tornado's ``tornado.iostream``).

:class:`IOStream` wraps a socket; every read returns a future, only one read may be
pending at a time, and a write's future resolves once the data reached the kernel.
TLS streams (``SSLIOStream``, ``start_tls``) are coming in a later issue.
"""

from squall.iostream._base import BaseIOStream
from squall.iostream._errors import (
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
)
from squall.iostream._iostream import IOStream

__all__ = [
    "BaseIOStream",
    "IOStream",
    "StreamBufferFullError",
    "StreamClosedError",
    "UnsatisfiableReadError",
]
