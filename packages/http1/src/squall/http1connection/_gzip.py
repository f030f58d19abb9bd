"""Transparent decoding of ``Content-Encoding: gzip`` request bodies."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable

from squall.http1connection._errors import HTTPParseError
from squall.httputil import HTTPHeaders, HTTPMessageDelegate, RequestStartLine, ResponseStartLine
from squall.util import GzipDecompressor


class GzipMessageDelegate(HTTPMessageDelegate):
    """Wraps a delegate, gunzipping the body when ``Content-Encoding: gzip`` is set.

    The ``Content-Encoding`` header is replaced by ``X-Consumed-Content-Encoding``
    (Tornado's ``decompress_request`` behaviour).

    Args:
        delegate: the ``HTTPMessageDelegate`` receiving the decoded body.
        chunk_size: most decoded bytes passed to ``data_received`` at once.
    """

    def __init__(self, delegate: HTTPMessageDelegate, chunk_size: int) -> None:
        self._delegate = delegate
        self._chunk_size = chunk_size
        self._decompressor: GzipDecompressor | None = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        """Set up decoding if the body is gzip-encoded, then forward the head."""
        if headers.get("Content-Encoding", "").lower() == "gzip":
            self._decompressor = GzipDecompressor()
            headers.add("X-Consumed-Content-Encoding", headers["Content-Encoding"])
            del headers["Content-Encoding"]
        return self._delegate.headers_received(start_line, headers)

    async def data_received(self, chunk: bytes) -> None:
        """Decode ``chunk`` (if gzip) and forward it in pieces of at most ``chunk_size``."""
        if self._decompressor is None:
            result = self._delegate.data_received(chunk)
            if result is not None:
                await result
            return
        data = chunk
        while data:
            try:
                decoded = self._decompressor.decompress(data, self._chunk_size)
            except zlib.error as e:
                raise HTTPParseError(f"invalid gzip request body: {e}") from e
            if decoded:
                result = self._delegate.data_received(decoded)
                if result is not None:
                    await result
            data = self._decompressor.unconsumed_tail
            if data and not decoded:
                raise HTTPParseError("gzip data made no progress")

    def finish(self) -> None:
        """Flush the decoder and finish the wrapped delegate."""
        if self._decompressor is not None:
            try:
                tail = self._decompressor.flush()
            except zlib.error as e:
                raise HTTPParseError(f"invalid gzip request body: {e}") from e
            if tail:
                self._delegate.data_received(tail)
        self._delegate.finish()

    def on_connection_close(self) -> None:
        """Forward the connection-close notification."""
        self._delegate.on_connection_close()
