"""Transparent decoding of ``Content-Encoding: gzip`` / ``deflate`` response bodies.

Used by the client side of ``HTTP1Connection`` when ``params.decompress`` is set
(Tornado's ``decompress_response``). A compressed body can expand a thousandfold
(a "gzip bomb"), so output is produced in pieces of at most ``chunk_size`` bytes
and counted against ``max_body_size`` as it is produced: a bomb costs at most
``max_body_size + chunk_size`` bytes of work before it is rejected.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable

from squall.http1connection._errors import HTTPParseError
from squall.httputil import HTTPHeaders, HTTPMessageDelegate, RequestStartLine, ResponseStartLine

# zlib wbits: 16 + MAX_WBITS expects a gzip wrapper (RFC 1952), MAX_WBITS a zlib
# wrapper (RFC 1950, what RFC 9110 §8.4.1.2 calls "deflate"), -MAX_WBITS a raw
# deflate stream (RFC 1951), which some servers send for "deflate" anyway.
_GZIP_WBITS = 16 + zlib.MAX_WBITS


def _looks_like_zlib(data: bytes) -> bool:
    """RFC 1950 §2.2: CM = 8 in the low nibble and the 16-bit header divisible by 31."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class DecompressingDelegate(HTTPMessageDelegate):
    """Wraps a delegate, decoding gzip or deflate bodies and capping their size.

    The ``Content-Encoding`` field is replaced by ``X-Consumed-Content-Encoding``
    (Tornado's behaviour), so the wrapped delegate sees the decoded body.

    Args:
        delegate: the ``HTTPMessageDelegate`` receiving the decoded body.
        chunk_size: most decoded bytes passed to ``data_received`` at once.
        max_body_size: most decoded bytes accepted in total.
    """

    def __init__(self, delegate: HTTPMessageDelegate, chunk_size: int, max_body_size: int) -> None:
        self._delegate = delegate
        self._chunk_size = chunk_size
        self._max_body_size = max_body_size
        self._encoding: str | None = None
        self._decompressor: zlib._Decompress | None = None
        self._produced = 0

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

    async def _forward(self, data: bytes) -> None:
        self._produced += len(data)
        if self._produced > self._max_body_size:
            raise HTTPParseError("decompressed response body exceeds max_body_size", 413)
        result = self._delegate.data_received(data)
        if result is not None:
            await result

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Decode ``chunk`` and forward it in pieces of at most ``chunk_size`` bytes."""
        if self._encoding is None:
            # Not compressed: count and pass through without a coroutine per chunk.
            self._produced += len(chunk)
            if self._produced > self._max_body_size:
                raise HTTPParseError("decompressed response body exceeds max_body_size", 413)
            return self._delegate.data_received(chunk)
        return self._decode(chunk)

    async def _decode(self, chunk: bytes) -> None:
        if self._decompressor is None:
            if self._encoding == "deflate":
                wbits = zlib.MAX_WBITS if _looks_like_zlib(chunk) else -zlib.MAX_WBITS
            else:
                wbits = _GZIP_WBITS
            self._decompressor = zlib.decompressobj(wbits)
        decompressor = self._decompressor
        data = chunk
        # Loop until the input is used up *and* no output is pending: with a cap on
        # each call's output, zlib may hold decoded bytes back for the next call.
        while not decompressor.eof:
            try:
                decoded = decompressor.decompress(data, self._chunk_size)
            except zlib.error as e:
                raise HTTPParseError(f"invalid {self._encoding} response body: {e}") from e
            data = decompressor.unconsumed_tail
            if not decoded:
                if data:
                    raise HTTPParseError(f"{self._encoding} data made no progress")
                return
            await self._forward(decoded)
        # Bytes after the end of the compressed stream are ignored, as zlib does.

    def finish(self) -> None:
        """Finish the wrapped delegate (any undecoded tail was already consumed)."""
        self._delegate.finish()

    def on_connection_close(self) -> None:
        """Forward the connection-close notification."""
        self._delegate.on_connection_close()
