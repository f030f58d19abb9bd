"""Sans-IO HTTP/1.1 request parser: bytes in, start line + headers + body chunks out.

``RequestParser`` implements ``_parser_api.RequestParserAPI``, the only
interface the connection uses, so a C implementation of it can replace this one.
It never blocks and never loops per byte in Python: the head is found with
``bytearray.find`` (resuming where the last search stopped, so feeding one byte at
a time stays linear), split with ``str.split`` and checked with the anchored
regexes of ``squall.httputil._abnf``.
"""

from __future__ import annotations

import re

from squall.http1connection._errors import HTTPParseError
from squall.http1connection._params import DEFAULT_MAX_FIELDS, DEFAULT_MAX_REQUEST_LINE
from squall.httputil import HTTPHeaders, RequestStartLine
from squall.httputil._abnf import (
    FIELD_NAME,
    chunk_size_re,
    content_length_re,
    field_name_re,
    forbidden_head_char_re,
    forbidden_value_char_bytes_re,
    request_line_re,
)

#: Tornado's default limit for the whole head (start line + fields).
DEFAULT_MAX_HEADER_SIZE = 64 * 1024
#: Longest accepted chunk-size line (size + extensions).
MAX_CHUNK_LINE = 4096

_HEAD, _BODY_LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER = range(6)
_SUPPORTED_VERSIONS = ("HTTP/1.1", "HTTP/1.0")


# One valid field line after its CRLF: field-name ":" and the rest of the line
# (RFC 9112 §5). The value part excludes every control but HTAB (CR and LF too)
# and must reach the end of the line. So over a head without bare CR or LF,
# ``findall`` yields one match per valid line, in one C-level pass; a line that
# does not match (bad name, obs-fold, no colon, a control character) makes the
# count differ, and the error path (``_check_controls``, ``_field_line_error``)
# then finds it. No nested quantifiers: linear time.
_field_line_re = re.compile(rf"\r\n({FIELD_NAME}):([^\x00-\x08\x0a-\x1f\x7f]*)(?=\r\n|\Z)")


def parse_request_head(
    block: bytes,
    max_fields: int = DEFAULT_MAX_FIELDS,
    max_field_size: int | None = None,
) -> tuple[RequestStartLine, HTTPHeaders]:
    """Parse a request head (without its final empty line) per RFC 9112 §2-§5.

    Args:
        block: the request line and field lines, CRLF-separated, without the
            terminating ``CRLF CRLF``.
        max_fields: most field lines accepted.
        max_field_size: longest field line accepted, in bytes (without its CRLF);
            ``None``: only the size of the whole head is bounded (by the caller).

    Returns:
        ``(RequestStartLine, HTTPHeaders)``.

    Raises:
        HTTPParseError: 400 for any grammar violation (bare CR or LF, control
            characters, obs-fold, whitespace before a colon, a bad token), 431 for
            too many field lines or one longer than ``max_field_size``, 505 for an
            HTTP version other than 1.0 / 1.1.
    """
    return _parse_head_text(block.decode("latin-1"), max_fields, max_field_size)


def _parse_head_text(
    text: str, max_fields: int, max_field_size: int | None
) -> tuple[RequestStartLine, HTTPHeaders]:
    """``parse_request_head`` on the head already decoded as Latin-1."""
    # The checks run in this order: bare CR/LF, control characters, request
    # line, version (505), field count (431), field lines. The control-character
    # scan is deferred: the request-line and field-line patterns reject controls
    # themselves, so a head that passes them has none, and every failure below
    # calls _check_controls first to report what the scan would have found.
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or text.count("\n") != crlf:
        raise HTTPParseError("bare CR or LF in request head")
    line_end = text.find("\r\n")
    request_line = text if line_end < 0 else text[:line_end]
    match = request_line_re.fullmatch(request_line)
    if match is None:
        _check_controls(text)
        raise HTTPParseError(f"malformed request line {request_line[:100]!r}")
    start_line = RequestStartLine._make(match.groups())
    version = start_line.version
    if version not in _SUPPORTED_VERSIONS:
        _check_controls(text)
        raise HTTPParseError(f"unsupported HTTP version {version!r}", 505)
    if crlf > max_fields:
        _check_controls(text)
        raise HTTPParseError(f"more than {max_fields} header fields", 431)
    if not crlf:
        return start_line, HTTPHeaders()
    fields = _field_line_re.findall(text, line_end)
    if len(fields) != crlf:
        _check_controls(text)
        _field_line_error(text[line_end + 2 :].split("\r\n"))
    if max_field_size is not None and len(text) - line_end > max_field_size:
        # Only a section longer than the limit can hold a line longer than it.
        for name, value in fields:
            if len(name) + 1 + len(value) > max_field_size:
                raise HTTPParseError(f"header field {name[:100]!r} too long", 431)
    return start_line, HTTPHeaders._from_pairs(fields, strip=True)


def _check_controls(text: str) -> None:
    """Raise 400 if the head holds a control character other than HTAB, CR, LF."""
    if forbidden_head_char_re.search(text):
        raise HTTPParseError("control character in request head")


def _field_line_error(lines: list[str]) -> None:
    """Raise the error for the first malformed field line (RFC 9112 §5, §5.2)."""
    fullmatch = field_name_re.fullmatch
    for line in lines:
        name, sep, _value = line.partition(":")
        if not sep or fullmatch(name) is None:
            if line[:1] in (" ", "\t"):
                raise HTTPParseError("obs-fold line folding is not accepted")
            raise HTTPParseError(f"malformed header line {line[:100]!r}")
    raise HTTPParseError("malformed header section")  # pragma: no cover - unreachable


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
    # The stored value lists, read without get_list's copy (names are stored in
    # their canonical spelling, which these literals are).
    fields = headers._as_list
    if start_line.version == "HTTP/1.1":
        hosts = fields.get("Host", ())
        if len(hosts) != 1:
            raise HTTPParseError("HTTP/1.1 request needs exactly one Host header")
    te = fields.get("Transfer-Encoding")
    cl = fields.get("Content-Length")
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
    if len(cl) == 1 and cl[0].isdigit() and cl[0].isascii():  # the usual single value
        value = cl[0].lstrip("0") or "0"
        if len(value) > 19:
            raise HTTPParseError("Content-Length too large", 413)
        return int(value)
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
        max_field_size: longest field line, in bytes (431); ``None`` (the
            default here) bounds lines only by ``max_header_size``. The server
            passes ``HTTP1ConnectionParameters.max_field_size`` (8 KiB by default).
    """

    def __init__(
        self,
        max_request_line: int = DEFAULT_MAX_REQUEST_LINE,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_fields: int = DEFAULT_MAX_FIELDS,
        max_field_size: int | None = None,
    ) -> None:
        self.max_request_line = max_request_line
        self.max_header_size = max_header_size
        self.max_fields = max_fields
        self.max_field_size = max_field_size
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
        if not buf:
            return None  # nothing received: the checks below need at least one byte
        if not self._line_done and not self._line_scan:
            # Fast path: a whole head arrived in one go (nearly every request).
            # The same checks as below, in the same order, without the resumable
            # scanning that a head arriving in pieces needs.
            end = buf.find(b"\r\n\r\n")
            if end > 0 and buf[0] != 0x0A and buf[0] != 0x0D:
                self._check_request_line(buf.find(b"\r\n", 0, end + 2))
                return self._take_head(end)
        if not self._line_done:
            while buf[:2] == b"\r\n":
                del buf[:2]
            if buf[:1] == b"\n":
                raise HTTPParseError("bare LF before request line")
            end = buf.find(b"\r\n", self._line_scan)
            if end < 0:
                # Whichever comes first in the stream: a bare LF, or the byte that
                # makes the line too long (as a byte-by-byte feed would fail).
                lf = buf.find(b"\n", self._line_scan)
                if 0 <= lf <= self.max_request_line + 1:
                    raise HTTPParseError("bare LF in request line")
                if len(buf) > self.max_request_line + 1:
                    raise HTTPParseError("request line too long", 414)
                self._line_scan = max(0, len(buf) - 1)
                return None
            self._check_request_line(end)
            self._line_done = True
            self._scan = end
        start = self._scan
        end = buf.find(b"\r\n\r\n", start)
        if end < 0:
            # A bare LF can never be part of a valid head: fail now, not at the
            # limit; but only for one before the byte that breaks the limit, so
            # that any split of the input fails the same way.
            cut = min(len(buf), self.max_header_size + 4)
            if buf.count(b"\n", start, cut) != buf.count(b"\r\n", max(start - 1, 0), cut):
                raise HTTPParseError("bare LF in request head")
            if len(buf) > self.max_header_size + 3:
                raise HTTPParseError("request head too large", 431)
            self._scan = max(start, len(buf) - 3)
            return None
        return self._take_head(end)

    def _check_request_line(self, end: int) -> None:
        """Check the complete request line ``buf[:end]`` for a bare LF and its length.

        Fails as a byte-by-byte feed would have: with the error of whichever
        comes first in the stream, a bare LF or the byte that makes the line too
        long (the incremental path fails at ``max_request_line + 2`` bytes
        without a CRLF).
        """
        lf = self._buf.find(b"\n", 0, end)
        limit = self.max_request_line
        if end > limit:
            if 0 <= lf <= limit + 1:
                raise HTTPParseError("bare LF in request line")
            raise HTTPParseError("request line too long", 414)
        if lf >= 0:
            raise HTTPParseError("bare LF in request line")

    def _take_head(self, end: int) -> tuple[RequestStartLine, HTTPHeaders]:
        """Parse and consume the head ending at ``end`` (where its CRLF CRLF starts)."""
        buf = self._buf
        if end > self.max_header_size:
            # A byte-by-byte feed fails at max_header_size + 4 bytes: with 400 if
            # a bare LF came before that point, else 431.
            cut = self.max_header_size + 4
            if buf.count(b"\n", 0, cut) != buf.count(b"\r\n", 0, cut):
                raise HTTPParseError("bare LF in request head")
            raise HTTPParseError("request head too large", 431)
        text = buf[:end].decode("latin-1")  # one copy less than bytes(buf[:end])
        del buf[: end + 4]
        self._scan = self._line_scan = 0
        self._line_done = False
        start_line, headers = _parse_head_text(text, self.max_fields, self.max_field_size)
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
                if n == len(buf):  # the usual small body: all that is buffered
                    data = bytes(buf)
                    buf.clear()
                else:
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
                _check_trailer(bytes(buf[:end]), self.max_fields, self.max_field_size)
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


def _check_trailer(block: bytes, max_fields: int, max_field_size: int | None = None) -> None:
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
        if max_field_size is not None and len(line) > max_field_size:
            raise HTTPParseError(f"trailer field {name[:100]!r} too long", 431)
