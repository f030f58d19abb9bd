"""Streaming gzip decompression with a bound on output size."""

from __future__ import annotations

import zlib


class GzipDecompressor:
    """Incrementally decompress a gzip stream (``tornado.util.GzipDecompressor``).

    Unlike :mod:`gzip`, this works on chunks as they arrive and lets the caller
    cap how much output each call produces (the defence against "zip bombs":
    call :meth:`decompress` again with ``unconsumed_tail`` to continue).
    """

    def __init__(self) -> None:
        # 16 + MAX_WBITS: expect a gzip header and trailer (RFC 1952).
        self.decompressobj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def decompress(self, value: bytes, max_length: int = 0) -> bytes:
        """Decompress a chunk.

        Args:
            value: compressed bytes.
            max_length: maximum number of bytes to return (``0`` means no cap);
                input left over is kept in :attr:`unconsumed_tail`.

        Returns:
            Decompressed bytes (possibly empty).

        Raises:
            zlib.error: on corrupt input.
        """
        return self.decompressobj.decompress(value, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        """Compressed input not yet processed because of ``max_length`` (``bytes``)."""
        return self.decompressobj.unconsumed_tail

    def flush(self) -> bytes:
        """Return any remaining buffered output; call once the stream is done.

        Raises:
            zlib.error: on corrupt input.
        """
        return self.decompressobj.flush()
