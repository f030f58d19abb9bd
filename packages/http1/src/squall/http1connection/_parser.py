"""Sans-IO HTTP/1.1 request parser: bytes in, start line + headers + body chunks out.

``RequestParser`` implements ``_parser_api.RequestParserAPI``, the only
interface the connection uses, so a C implementation of it can replace this one.
It never blocks and never loops per byte in Python: the head is found with
``bytearray.find`` (resuming where the last search stopped, so feeding one byte at
a time stays linear), split with ``str.split`` and checked with the anchored
regexes of ``squall.httputil._abnf``.
"""

from __future__ import annotations

from squall.http1connection._errors import HTTPParseError
from squall.httputil import HTTPHeaders, RequestStartLine
from squall.httputil._abnf import (
    chunk_size_re,
    content_length_re,
    field_name_re,
    forbidden_head_char_re,
    forbidden_value_char_bytes_re,
    request_line_re,
)

#: RFC 9112 §3: servers SHOULD accept request lines of at least 8000 octets.
DEFAULT_MAX_REQUEST_LINE = 8 * 1024
#: Tornado's default limit for the whole head (start line + fields).
DEFAULT_MAX_HEADER_SIZE = 64 * 1024
DEFAULT_MAX_FIELDS = 100
#: Longest accepted chunk-size line (size + extensions).
MAX_CHUNK_LINE = 4096

_HEAD, _BODY_LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER = range(6)
_SUPPORTED_VERSIONS = ("HTTP/1.1", "HTTP/1.0")


def parse_request_head(
    block: bytes, max_fields: int = DEFAULT_MAX_FIELDS
) -> tuple[RequestStartLine, HTTPHeaders]:
    """Parse a request head (without its final empty line) per RFC 9112 §2-§5.

    Args:
        block: the request line and field lines, CRLF-separated, without the
            terminating ``CRLF CRLF``.
        max_fields: most field lines accepted.

    Returns:
        ``(RequestStartLine, HTTPHeaders)``.

    Raises:
        HTTPParseError: 400 for any grammar violation (bare CR or LF, control
            characters, obs-fold, whitespace before a colon, a bad token), 431 for
            too many field lines, 505 for an HTTP version other than 1.0 / 1.1.
    """
    text = block.decode("latin-1")
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or text.count("\n") != crlf:
        raise HTTPParseError("bare CR or LF in request head")
    if forbidden_head_char_re.search(text):
        raise HTTPParseError("control character in request head")
    lines = text.split("\r\n")
    match = request_line_re.fullmatch(lines[0])
    if match is None:
        raise HTTPParseError(f"malformed request line {lines[0][:100]!r}")
    method, target, version = match.groups()
    if version not in _SUPPORTED_VERSIONS:
        raise HTTPParseError(f"unsupported HTTP version {version!r}", 505)
    if len(lines) - 1 > max_fields:
        raise HTTPParseError(f"more than {max_fields} header fields", 431)
    headers = HTTPHeaders()
    add = headers.add
    fullmatch = field_name_re.fullmatch
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or fullmatch(name) is None:
            if line[:1] in (" ", "\t"):
                raise HTTPParseError("obs-fold line folding is not accepted")
            raise HTTPParseError(f"malformed header line {line[:100]!r}")
        add(name, value.strip(" \t"))
    return RequestStartLine(method, target, version), headers


def request_body_length(start_line: RequestStartLine, headers: HTTPHeaders) -> int | None:
    """Validate the Host and framing fields of a request; return its body length.

    Implements RFC 9112 §6.1-§6.3 and §3.2: exactly one ``Host`` on HTTP/1.1; never
    both ``Content-Length`` and ``Transfer-Encoding``; ``Transfer-Encoding`` only on
    HTTP/1.1 and only exactly ``chunked``; ``Content-Length`` only ``1*DIGIT`` and,
    when repeated, identical.

    Args:
        start_line: the parsed request line.
        headers: the parsed fields.

    Returns:
        The body length in bytes, or ``None`` for a chunked body.

    Raises:
        HTTPParseError: 400 for a framing or Host error, 413 for a Content-Length
            beyond 64 bits.
    """
    if start_line.version == "HTTP/1.1":
        hosts = headers.get_list("Host")
        if len(hosts) != 1:
            raise HTTPParseError("HTTP/1.1 request needs exactly one Host header")
    te = headers.get_list("Transfer-Encoding")
    cl = headers.get_list("Content-Length")
    if te:
        if cl:
            raise HTTPParseError("both Content-Length and Transfer-Encoding")
        if start_line.version != "HTTP/1.1":
            raise HTTPParseError("Transfer-Encoding in an HTTP/1.0 request")
        if len(te) != 1 or te[0].lower() != "chunked":
            raise HTTPParseError(f"unsupported Transfer-Encoding {','.join(te)[:100]!r}")
        return None
    if not cl:
        return 0
    values = {v.strip(" \t") for item in cl for v in item.split(",")}
    if len(values) != 1:
        raise HTTPParseError("conflicting Content-Length values")
    (value,) = values
    if content_length_re.fullmatch(value) is None:
        raise HTTPParseError(f"malformed Content-Length {value[:40]!r}")
    value = value.lstrip("0") or "0"
    if len(value) > 19:
        raise HTTPParseError("Content-Length too large", 413)
    return int(value)


class RequestParser:
    """Incremental parser for a sequence of HTTP/1.x requests on one connection.

    Usage: ``feed(data)`` with bytes from the socket; ``next_head()`` returns the
    next ``(start_line, headers)`` or ``None`` if more data is needed; then
    ``read_body(max_chunk)`` until it reports the end of the body; repeat. Errors
    raise ``HTTPParseError`` (and leave the parser unusable).

    Args:
        max_request_line: longest request line in bytes (414 beyond it).
        max_header_size: longest head (request line + fields) in bytes (431).
        max_fields: most field lines per head or trailer section (431).
    """

    def __init__(
        self,
        max_request_line: int = DEFAULT_MAX_REQUEST_LINE,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_fields: int = DEFAULT_MAX_FIELDS,
    ) -> None:
        self.max_request_line = max_request_line
        self.max_header_size = max_header_size
        self.max_fields = max_fields
        self._buf = bytearray()
        self._state = _HEAD
        self._scan = 0  # where the search for the end of the head resumes
        self._line_scan = 0  # where the search for the end of the request line resumes
        self._line_done = False
        self._remaining = 0  # bytes left in the Content-Length body or current chunk
        #: Body length of the current request (``None``: chunked).
        self.content_length: int | None = 0
        self._heads = 0

    def feed(self, data: bytes) -> None:
        """Append bytes received from the peer.

        Args:
            data: any number of bytes (may split tokens anywhere).
        """
        self._buf += data

    @property
    def buffered(self) -> int:
        """Number of received bytes not yet consumed (``int``)."""
        return len(self._buf)

    @property
    def heads(self) -> int:
        """Number of request heads returned by ``next_head`` so far (``int``)."""
        return self._heads

    def take_buffered(self) -> bytes:
        """Return, and forget, every received byte not consumed yet.

        Returns:
            The unconsumed bytes (after a head: the start of its body, or the
            bytes the peer sent after an Upgrade request).
        """
        data = bytes(self._buf)
        self._buf.clear()
        self._scan = self._line_scan = 0
        return data

    @property
    def in_head(self) -> bool:
        """``True`` while waiting for (or between) request heads."""
        return self._state == _HEAD

    def next_head(self) -> tuple[RequestStartLine, HTTPHeaders] | None:
        """Parse the next request head if it is complete.

        Empty lines before the request line are skipped (RFC 9112 §2.2). On success
        the parser switches to reading that request's body.

        Returns:
            ``(RequestStartLine, HTTPHeaders)``, or ``None`` if more data is needed.

        Raises:
            HTTPParseError: 400/414/431/505 (see ``parse_request_head`` and
                ``request_body_length``).
            RuntimeError: if called while a body is being read.
        """
        if self._state != _HEAD:
            raise RuntimeError("next_head() called before the body was read")
        buf = self._buf
        if not self._line_done:
            while buf[:2] == b"\r\n":
                del buf[:2]
            if buf[:1] == b"\n":
                raise HTTPParseError("bare LF before request line")
            end = buf.find(b"\r\n", self._line_scan)
            if end < 0:
                if b"\n" in buf[self._line_scan :]:
                    raise HTTPParseError("bare LF in request line")
                if len(buf) > self.max_request_line + 1:
                    raise HTTPParseError("request line too long", 414)
                self._line_scan = max(0, len(buf) - 1)
                return None
            if end > self.max_request_line:
                raise HTTPParseError("request line too long", 414)
            if buf.find(b"\n", 0, end) >= 0:  # fail as early as a byte-by-byte feed would
                raise HTTPParseError("bare LF in request line")
            self._line_done = True
            self._scan = end
        start = self._scan
        end = buf.find(b"\r\n\r\n", start)
        if end < 0:
            # A bare LF can never be part of a valid head: fail now, not at the limit.
            if buf.count(b"\n", start) != buf.count(b"\r\n", max(start - 1, 0)):
                raise HTTPParseError("bare LF in request head")
            if len(buf) > self.max_header_size + 3:
                raise HTTPParseError("request head too large", 431)
            self._scan = max(start, len(buf) - 3)
            return None
        if end > self.max_header_size:
            raise HTTPParseError("request head too large", 431)
        block = bytes(buf[:end])
        del buf[: end + 4]
        self._scan = self._line_scan = 0
        self._line_done = False
        start_line, headers = parse_request_head(block, self.max_fields)
        length = request_body_length(start_line, headers)
        self.content_length = length
        self._heads += 1
        if length is None:
            self._state = _CHUNK_SIZE
        elif length:
            self._state = _BODY_LENGTH
            self._remaining = length
        return start_line, headers

    def read_body(self, max_chunk: int) -> tuple[bytes, bool]:
        """Consume buffered body bytes of the current request.

        Args:
            max_chunk: most bytes of body data to return at once (``int`` > 0).

        Returns:
            ``(data, done)``: ``data`` is de-chunked body bytes (possibly empty);
            ``done`` is ``True`` once the body (and any trailer section) is complete,
            after which ``next_head`` may be called. ``(b"", False)`` means more
            input is needed.

        Raises:
            HTTPParseError: 400 for a malformed chunk size line, missing CRLF after
                chunk data or malformed trailer; 431 for an oversized trailer section.
        """
        buf = self._buf
        state = self._state
        while True:
            if state == _HEAD:
                return b"", True
            if state in (_BODY_LENGTH, _CHUNK_DATA):
                if not buf:
                    return b"", False
                n = min(self._remaining, len(buf), max_chunk)
                data = bytes(buf[:n])
                del buf[:n]
                self._remaining -= n
                if self._remaining == 0:
                    self._state = _HEAD if state == _BODY_LENGTH else _CHUNK_CRLF
                return data, self._state == _HEAD
            if state == _CHUNK_SIZE:
                end = buf.find(b"\r\n", 0, MAX_CHUNK_LINE + 2)
                if end < 0:
                    if len(buf) > MAX_CHUNK_LINE or b"\n" in buf:
                        raise HTTPParseError("malformed chunk size line")
                    return b"", False
                self._remaining = _parse_chunk_size(bytes(buf[:end]))
                del buf[: end + 2]
                state = self._state = _CHUNK_DATA if self._remaining else _TRAILER
                self._scan = 0
            elif state == _CHUNK_CRLF:
                if len(buf) < 2:
                    if buf and buf[:1] != b"\r":
                        raise HTTPParseError("missing CRLF after chunk data")
                    return b"", False
                if buf[:2] != b"\r\n":
                    raise HTTPParseError("missing CRLF after chunk data")
                del buf[:2]
                state = self._state = _CHUNK_SIZE
            else:  # _TRAILER
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    self._state = _HEAD
                    return b"", True
                if len(buf) < 2:
                    return b"", False
                start = self._scan
                end = buf.find(b"\r\n\r\n", start)
                if end < 0:
                    if buf.count(b"\n", start) != buf.count(b"\r\n", max(start - 1, 0)):
                        raise HTTPParseError("bare LF in trailer section")
                    if len(buf) > self.max_header_size + 3:
                        raise HTTPParseError("trailer section too large", 431)
                    self._scan = max(0, len(buf) - 3)
                    return b"", False
                if end > self.max_header_size:
                    raise HTTPParseError("trailer section too large", 431)
                _check_trailer(bytes(buf[:end]), self.max_fields)
                del buf[: end + 4]
                self._scan = 0
                self._state = _HEAD
                return b"", True


def _parse_chunk_size(line: bytes) -> int:
    """Parse ``chunk-size [ chunk-ext ]`` (RFC 9112 §7.1); extensions are ignored."""
    if forbidden_value_char_bytes_re.search(line):
        raise HTTPParseError("control character in chunk size line")
    size, _sep, _ext = line.partition(b";")
    size = size.rstrip(b" \t")
    if chunk_size_re.fullmatch(size.decode("latin-1")) is None:
        raise HTTPParseError(f"malformed chunk size {size[:40]!r}")
    return int(size, 16)


def _check_trailer(block: bytes, max_fields: int) -> None:
    """Validate a trailer section (RFC 9112 §7.1.2: field lines); the fields are dropped."""
    text = block.decode("latin-1")
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or text.count("\n") != crlf:
        raise HTTPParseError("bare CR or LF in trailer section")
    if forbidden_head_char_re.search(text):
        raise HTTPParseError("control character in trailer section")
    lines = text.split("\r\n")
    if len(lines) > max_fields:
        raise HTTPParseError(f"more than {max_fields} trailer fields", 431)
    for line in lines:
        name, sep, _value = line.partition(":")
        if not sep or field_name_re.fullmatch(name) is None:
            raise HTTPParseError(f"malformed trailer line {line[:100]!r}")
