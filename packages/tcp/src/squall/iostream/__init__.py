"""Buffered non-blocking streams on asyncio transports (Tornado's ``tornado.iostream``).

:class:`IOStream` wraps a socket; every read returns a future, only one read may be
pending at a time, and a write's future resolves once the data reached the kernel.
TLS runs in asyncio's TLS transport: :class:`SSLIOStream`, and ``IOStream.start_tls``.
"""

from squall.iostream._base import BaseIOStream
from squall.iostream._errors import (
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
)
from squall.iostream._iostream import IOStream
from squall.iostream._pipe import PipeIOStream
from squall.iostream._ssliostream import SSLIOStream

__all__ = [
    "BaseIOStream",
    "IOStream",
    "PipeIOStream",
    "SSLIOStream",
    "StreamBufferFullError",
    "StreamClosedError",
    "UnsatisfiableReadError",
]
