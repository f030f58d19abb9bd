"""Output transforms: rewrite a response's headers and body as it is flushed."""

from __future__ import annotations

import zlib

from squall.httputil import HTTPHeaders, HTTPServerRequest


class OutputTransform:
    """Base class of response transforms (Tornado's ``web.OutputTransform``).

    An ``Application`` builds one instance per request from each class in its
    ``transforms`` list; ``RequestHandler.flush`` passes the first chunk (with the
    status and headers) and then every later chunk through them, in order.

    Args:
        request (HTTPServerRequest): the request being answered.
    """

    def __init__(self, request: HTTPServerRequest) -> None:
        pass

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        """Transform the status, headers and first body chunk.

        Args:
            status_code (int): the response status.
            headers (HTTPHeaders): the response headers (may be modified in place).
            chunk (bytes): the first body bytes.
            finishing (bool): True when this is also the last chunk.

        Returns:
            tuple[int, HTTPHeaders, bytes]: the new status, headers and chunk.
        """
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """Transform a later body chunk.

        Args:
            chunk (bytes): the body bytes.
            finishing (bool): True for the last chunk of the response.

        Returns:
            bytes: the bytes to send.
        """
        return chunk


class GZipContentEncoding(OutputTransform):
    """Compress text-like responses with gzip (RFC 9110 section 8.4.1.3).

    Applied when the ``compress_response`` setting is true and the request's
    ``Accept-Encoding`` lists ``gzip``. Only compressible content types are compressed,
    and a response finished in one piece is compressed only when at least
    ``MIN_LENGTH`` bytes long. ``Vary: Accept-Encoding`` is always added.

    Args:
        request (HTTPServerRequest): the request being answered.
    """

    CONTENT_TYPES = frozenset(
        (
            "application/javascript",
            "application/x-javascript",
            "application/xml",
            "application/atom+xml",
            "application/json",
            "application/xhtml+xml",
            "image/svg+xml",
        )
    )
    """Compressible non-``text/*`` media types."""
    GZIP_LEVEL = 6
    """zlib compression level (0-9)."""
    MIN_LENGTH = 1024
    """Bytes below which a complete response is sent uncompressed."""

    def __init__(self, request: HTTPServerRequest) -> None:
        accept = request.headers.get("Accept-Encoding", "")
        codings = {part.split(";")[0].strip().lower() for part in accept.split(",")}
        self._gzipping = "gzip" in codings
        self._compressor: zlib._Compress | None = None

    def _compressible_type(self, ctype: str) -> bool:
        return ctype.startswith("text/") or ctype in self.CONTENT_TYPES

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        """Decide whether to compress, fix up headers, and compress the first chunk.

        Args:
            status_code (int): the response status.
            headers (HTTPHeaders): the response headers (modified in place).
            chunk (bytes): the first body bytes.
            finishing (bool): True when this is also the last chunk.

        Returns:
            tuple[int, HTTPHeaders, bytes]: the status, headers and (compressed) chunk.
        """
        if "Vary" in headers:
            headers["Vary"] = headers["Vary"] + ", Accept-Encoding"
        else:
            headers["Vary"] = "Accept-Encoding"
        if self._gzipping:
            ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
            self._gzipping = (
                self._compressible_type(ctype)
                and (not finishing or len(chunk) >= self.MIN_LENGTH)
                and "Content-Encoding" not in headers
                and status_code not in (204, 304)
            )
        if self._gzipping:
            headers["Content-Encoding"] = "gzip"
            self._compressor = zlib.compressobj(self.GZIP_LEVEL, zlib.DEFLATED, 16 + 15)
            chunk = self.transform_chunk(chunk, finishing)
            if "Content-Length" in headers:
                if finishing:
                    headers["Content-Length"] = str(len(chunk))
                else:
                    del headers["Content-Length"]
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """Compress a body chunk (flushing the compressor so the bytes go out now).

        Args:
            chunk (bytes): the body bytes.
            finishing (bool): True for the last chunk (writes the gzip trailer).

        Returns:
            bytes: the compressed bytes (the input unchanged when not compressing).
        """
        if not self._gzipping or self._compressor is None:
            return chunk
        out = self._compressor.compress(chunk)
        out += self._compressor.flush(zlib.Z_FINISH if finishing else zlib.Z_SYNC_FLUSH)
        return out
