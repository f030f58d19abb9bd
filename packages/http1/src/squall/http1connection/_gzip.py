"""Transparent decoding of ``Content-Encoding: gzip`` / ``deflate`` message bodies.

Used for request bodies on the server side (Tornado's ``decompress_request``) and
for response bodies on the client side (``decompress_response``). A compressed
body can expand a thousandfold (a "gzip bomb": 100 KiB of gzip can decode to
100 MiB), so decoded output is produced in pieces of at most ``chunk_size`` bytes
and counted against the connection's ``max_body_size`` as it is produced: a bomb
costs at most ``max_body_size + chunk_size`` bytes of work and memory before it is
rejected with 413.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable

from squall.http1connection._errors import HTTPParseError
from squall.httputil import HTTPHeaders, HTTPMessageDelegate, RequestStartLine, ResponseStartLine

# zlib wbits: 16 + MAX_WBITS expects a gzip wrapper (RFC 1952), MAX_WBITS a zlib
# wrapper (RFC 1950, what RFC 9110 §8.4.1.2 calls "deflate"), -MAX_WBITS a raw
# deflate stream (RFC 1951), which some clients send for "deflate" anyway.
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def _deflate_wbits(first: bytes) -> int:
    """RFC 1950 §2.2: a zlib header has CM = 8 and is a multiple of 31."""
    if len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0:
        return zlib.MAX_WBITS
    return -zlib.MAX_WBITS


class GzipMessageDelegate(HTTPMessageDelegate):
    """Wraps a delegate, decoding gzip or deflate message bodies under a size cap.

    The ``Content-Encoding`` header is replaced by ``X-Consumed-Content-Encoding``
    (Tornado's ``decompress_request`` behaviour), so the wrapped delegate sees the
    decoded body and ``parse_body_arguments`` accepts it.

    Args:
        delegate: the ``HTTPMessageDelegate`` receiving the decoded body.
        chunk_size: most decoded bytes passed to ``data_received`` at once.
        max_body_size: most decoded bytes accepted (``int``), or a callable
            returning it when bytes arrive; ``None``: no cap of its own
            (``HTTP1Connection`` sets one from its ``max_body_size``).
        message: ``"request"`` or ``"response"``, for error messages.
        require_end: raise in ``finish`` when the compressed stream is truncated
            (the server does, answering 400; the client keeps what it decoded).
    """

    def __init__(
        self,
        delegate: HTTPMessageDelegate,
        chunk_size: int,
        max_body_size: int | Callable[[], int] | None = None,
        *,
        message: str = "request",
        require_end: bool = True,
    ) -> None:
        self._delegate = delegate
        self._message = message
        self._require_end = require_end
        self._chunk_size = chunk_size
        self._limit: int | Callable[[], int] | None = max_body_size
        self._encoding: str | None = None
        self._decompressor: zlib._Decompress | None = None
        self._produced = 0

    def set_max_body_size(self, max_body_size: int | Callable[[], int] | None) -> None:
        """Set the cap on decoded bytes (see the ``max_body_size`` argument)."""
        self._limit = max_body_size

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        """Set up decoding if the body is gzip- or deflate-encoded, then forward the head."""
        encoding = headers.get("Content-Encoding", "").strip(" \t").lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            self._encoding = encoding
            headers.add("X-Consumed-Content-Encoding", headers["Content-Encoding"])
            del headers["Content-Encoding"]
        return self._delegate.headers_received(start_line, headers)

    def _count(self, data: bytes) -> None:
        self._produced += len(data)
        limit = self._limit
        if callable(limit):
            limit = limit()
        if limit is not None and self._produced > limit:
            raise HTTPParseError(f"decompressed {self._message} body exceeds max_body_size", 413)

    async def _forward(self, data: bytes) -> None:
        self._count(data)
        result = self._delegate.data_received(data)
        if result is not None:
            await result

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Decode ``chunk`` and forward it in pieces of at most ``chunk_size`` bytes.

        Raises:
            HTTPParseError: 400 for corrupt compressed data, 413 once the decoded
                body exceeds the cap.
        """
        if self._encoding is None:
            # Not compressed: count and pass through without a coroutine per chunk.
            self._count(chunk)
            return self._delegate.data_received(chunk)
        return self._decode(chunk)

    async def _decode(self, chunk: bytes) -> None:
        decompressor = self._decompressor
        if decompressor is None:
            wbits = _GZIP_WBITS if self._encoding != "deflate" else _deflate_wbits(chunk)
            decompressor = self._decompressor = zlib.decompressobj(wbits)
        data = chunk
        # Loop until the input is used up *and* no output is pending: with a cap on
        # each call's output, zlib may hold decoded bytes back for the next call.
        while not decompressor.eof:
            try:
                decoded = decompressor.decompress(data, self._chunk_size)
            except zlib.error as e:
                raise HTTPParseError(f"invalid {self._encoding} {self._message} body: {e}") from e
            data = decompressor.unconsumed_tail
            if not decoded:
                if data:
                    raise HTTPParseError(f"{self._encoding} data made no progress")
                return
            await self._forward(decoded)
        # Bytes after the end of the compressed stream are ignored, as zlib does.

    def finish(self) -> None:
        """Finish the wrapped delegate.

        Raises:
            HTTPParseError: 400 if the compressed stream was truncated and
                ``require_end`` is set.
        """
        if self._require_end and self._decompressor is not None and not self._decompressor.eof:
            raise HTTPParseError(f"truncated {self._encoding} {self._message} body")
        self._delegate.finish()

    def on_connection_close(self) -> None:
        """Forward the connection-close notification."""
        self._delegate.on_connection_close()
