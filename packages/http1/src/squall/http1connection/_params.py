"""HTTP1ConnectionParameters: limits and options of an HTTP/1 connection."""

from __future__ import annotations

#: Default largest request body (bytes), as Tornado's ``max_buffer_size``.
DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 64 * 1024


class HTTP1ConnectionParameters:
    """Parameters for ``HTTP1Connection`` and ``HTTP1ServerConnection``.

    Follows Tornado's ``tornado.http1connection.HTTP1ConnectionParameters``.

    Args:
        no_keep_alive: close the connection after every message.
        chunk_size: most bytes (``int``) passed to ``data_received`` at once
            (default 64 KiB).
        max_header_size: largest head, request line plus fields, in bytes (default
            64 KiB; 431 beyond it).
        header_timeout: seconds (``float``) to wait for a complete head, including the
            idle time before it on a kept-alive connection; ``None`` waits forever.
        max_body_size: largest body in bytes (default 100 MiB; 413 beyond it).
        body_timeout: seconds (``float``) to wait for a complete body; ``None``
            waits forever.
        decompress: decode ``Content-Encoding: gzip`` request bodies.
    """

    def __init__(  # noqa: PLR0917 - Tornado's positional signature
        self,
        no_keep_alive: bool = False,
        chunk_size: int | None = None,
        max_header_size: int | None = None,
        header_timeout: float | None = None,
        max_body_size: int | None = None,
        body_timeout: float | None = None,
        decompress: bool = False,
    ) -> None:
        self.no_keep_alive = no_keep_alive
        self.chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        self.max_header_size = max_header_size or 64 * 1024
        self.header_timeout = header_timeout
        self.max_body_size = max_body_size
        self.body_timeout = body_timeout
        self.decompress = decompress
