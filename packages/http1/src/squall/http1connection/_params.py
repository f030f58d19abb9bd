"""HTTP1ConnectionParameters: limits, timeouts and options of an HTTP/1 connection.

Every default below is at least as protective as the servers surveyed in the
project's limits reference (nginx, Apache httpd, h2o, Node.js, hyper); see
``docs/guide/limits.md`` for the table.
"""

from __future__ import annotations

#: Default largest request body (bytes), as Tornado's ``max_buffer_size``.
DEFAULT_MAX_BODY_SIZE = 100 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 64 * 1024
#: Seconds a new connection may stay silent before its first byte.
DEFAULT_IDLE_TIMEOUT = 30.0
#: Seconds allowed to receive a whole request head, from its first byte (408 after).
DEFAULT_HEADER_READ_TIMEOUT = 30.0
#: Seconds a request body may stall between two reads.
DEFAULT_BODY_IDLE_TIMEOUT = 60.0
#: Seconds a kept-alive connection may wait for the next request (nginx's 75 s).
DEFAULT_KEEP_ALIVE_TIMEOUT = 75.0
#: Requests served on one connection before it is closed (nginx's 1000).
DEFAULT_MAX_REQUESTS = 1000
#: Seconds spent discarding input after an error response (lingering close).
DEFAULT_LINGER_TIMEOUT = 2.0
#: Bytes discarded at most after an error response (lingering close).
DEFAULT_LINGER_MAX_BYTES = 64 * 1024 * 1024
#: Longest request line (RFC 9112 §3: servers SHOULD accept at least 8000 octets).
DEFAULT_MAX_REQUEST_LINE = 8 * 1024
#: Field lines per head or trailer section.
DEFAULT_MAX_FIELDS = 100
#: Longest field line, name and value (nginx, Apache httpd and aiohttp: 8 KiB).
DEFAULT_MAX_FIELD_SIZE = 8 * 1024


class HTTP1ConnectionParameters:
    """Parameters for ``HTTP1Connection`` and ``HTTP1ServerConnection``.

    Follows Tornado's ``tornado.http1connection.HTTP1ConnectionParameters`` for the
    first seven (positional) arguments and keeps their meaning; the keyword-only
    arguments after them are squall's hardening, on by default. A timeout of
    ``None`` disables that timeout.

    Args:
        no_keep_alive: close the connection after every message.
        chunk_size: most bytes (``int``) passed to ``data_received`` at once
            (default 64 KiB).
        max_header_size: largest head, request line plus fields, in bytes (default
            64 KiB; 431 beyond it, 414 for a request line over 8 KiB).
        header_timeout: Tornado's meaning: seconds (``float``) to wait for a
            complete head, including the idle time before it on a kept-alive
            connection (``HTTPServer``'s ``idle_connection_timeout``); ``None``:
            only the finer timeouts below apply. On expiry the connection is closed
            (with a 408 if part of a head had arrived).
        max_body_size: largest body in bytes (default 100 MiB; 413 beyond it). It
            is checked against ``Content-Length`` before the body is read, counted
            as chunked data arrives, and, with ``decompress``, counts the
            *decompressed* bytes.
        body_timeout: Tornado's meaning: seconds (``float``) allowed for reading a
            whole request body; ``None`` (the default) waits forever. On expiry
            the connection is closed (after a 408 if no response was started).
        decompress: decode ``Content-Encoding: gzip`` (and ``deflate``) request
            bodies.
        idle_timeout: seconds a new connection may wait before the first byte of
            its first request (default 30); then it is closed without a response.
        header_read_timeout: seconds allowed to receive a complete request head,
            counted from its first byte (default 30); then 408 and close.
        body_idle_timeout: seconds a request body may stall between two reads
            (default 60); then the connection is closed (after a 408 if no
            response was started).
        keep_alive_timeout: seconds a kept-alive connection may wait for the first
            byte of its next request (default 75); then it is closed silently.
        max_requests: requests served on one connection (default 1000); the
            response to the last one carries ``Connection: close``. ``None``: no
            limit.
        linger_timeout: seconds (default 2) spent reading and discarding what the
            client still sends after an error response (400, 408, 413, 431...), so
            that it reads the response instead of getting a TCP reset; ``None``
            or ``0`` closes at once.
        linger_max_bytes: most bytes discarded during that time (default 64 MiB).
        max_field_size: longest field line of a request head or trailer section
            (name, colon and value, in bytes; default 8 KiB); 431 and close
            beyond it. ``None``: bounded only by ``max_header_size``.
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
        *,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        header_read_timeout: float | None = DEFAULT_HEADER_READ_TIMEOUT,
        body_idle_timeout: float | None = DEFAULT_BODY_IDLE_TIMEOUT,
        keep_alive_timeout: float | None = DEFAULT_KEEP_ALIVE_TIMEOUT,
        max_requests: int | None = DEFAULT_MAX_REQUESTS,
        linger_timeout: float | None = DEFAULT_LINGER_TIMEOUT,
        linger_max_bytes: int = DEFAULT_LINGER_MAX_BYTES,
        max_field_size: int | None = DEFAULT_MAX_FIELD_SIZE,
    ) -> None:
        self.no_keep_alive = no_keep_alive
        self.chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        self.max_header_size = max_header_size or 64 * 1024
        self.header_timeout = header_timeout
        self.max_body_size = max_body_size
        self.body_timeout = body_timeout
        self.decompress = decompress
        self.idle_timeout = idle_timeout
        self.header_read_timeout = header_read_timeout
        self.body_idle_timeout = body_idle_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.max_requests = max_requests
        self.linger_timeout = linger_timeout
        self.linger_max_bytes = linger_max_bytes
        self.max_field_size = max_field_size
