"""Sans-IO HTTP/1.x response parser: bytes in, status line + headers + body chunks out.

The client-side twin of ``_parser.RequestParser``. Response framing differs from
request framing (RFC 9112 §6.3): the body length depends on the request method
(HEAD) and the status code (1xx, 204, 304 carry no body), and a response with
neither ``Content-Length`` nor ``Transfer-Encoding`` is delimited by the server
closing the connection, so the parser must be told about end of input
(``feed_eof``).

Costs: the end of the head is found with ``bytearray.find`` resuming where the last
search stopped (feeding one byte at a time stays linear in the bytes received). A
head is first checked whole by one anchored regex (``_WELL_FORMED_HEAD``: a status
line and ``name:value`` field lines, nothing else); only a head it rejects goes
through the line-by-line checks, which find the exact fault (or accept it: the
whole-head regex is deliberately no more permissive than those checks).
"""

from __future__ import annotations

import re

from squall.http1connection._errors import HTTPParseError
from squall.http1connection._parser import MAX_CHUNK_LINE, _check_trailer, _parse_chunk_size
from squall.httputil import HTTPHeaders, ResponseStartLine
from squall.httputil._abnf import (
    FIELD_NAME,
    FIELD_VALUE,
    STATUS_LINE,
    content_length_re,
    field_name_re,
    forbidden_head_char_re,
    status_line_re,
)

DEFAULT_MAX_HEADER_SIZE = 64 * 1024
DEFAULT_MAX_FIELDS = 100

# Parser states. _HEAD: waiting for a status line + fields. The body states mirror
# RFC 9112 §6.3: a Content-Length body (_LENGTH), a chunked body (_CHUNK_*,
# _TRAILER) or a body that ends when the connection closes (_UNTIL_CLOSE).
# _DONE: the message is complete and nothing more may be read from this parser.
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)

# A whole response head in one match: the status line, then field lines whose name is
# a token and whose value holds no control character but HTAB. CR and LF can only
# appear as the CRLF between lines (neither character class contains them), so a
# match implies every check of ``_parse_head_checked`` but the field count.
_WELL_FORMED_HEAD = re.compile(rf"{STATUS_LINE}(?:\r\n{FIELD_NAME}:{FIELD_VALUE})*")


def parse_response_head(
    block: bytes, max_fields: int = DEFAULT_MAX_FIELDS
) -> tuple[ResponseStartLine, HTTPHeaders]:
    """Parse a response head (without its final empty line) per RFC 9112 §4-§5.

    Args:
        block: the status line and field lines, CRLF-separated, without the
            terminating ``CRLF CRLF``.
        max_fields: most field lines accepted.

    Returns:
        ``(ResponseStartLine, HTTPHeaders)``; the version is ``"HTTP/1.0"`` or
        ``"HTTP/1.1"`` (a higher 1.x minor version is read as 1.1, RFC 9110 §6.2).

    Raises:
        HTTPParseError: for a malformed status line, a status code below 100, bare
            CR or LF, control characters, obs-fold, whitespace before a colon or a
            field name that is not a token; for more than ``max_fields`` fields.
    """
    text = block.decode("latin-1")
    match = _WELL_FORMED_HEAD.fullmatch(text)
    if match is None:
        # Something is wrong (or unusual): the line-by-line checks say what.
        return _parse_head_checked(text, max_fields)
    version, code_text, reason = match.group(1, 2, 3)
    code = int(code_text)
    if code < 100:
        raise HTTPParseError(f"invalid status code {code}")
    if version != "HTTP/1.0":
        version = "HTTP/1.1"
    lines = text.split("\r\n")
    if len(lines) - 1 > max_fields:
        raise HTTPParseError(f"more than {max_fields} header fields", 431)
    pairs = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        pairs.append((name, value.strip(" \t")))
    headers = HTTPHeaders._from_pairs(pairs)  # checked by the regex above
    return ResponseStartLine(version, code, (reason or "").strip(" \t")), headers


def _parse_head_checked(text: str, max_fields: int) -> tuple[ResponseStartLine, HTTPHeaders]:
    """``parse_response_head`` one rule at a time: the path that reports what is wrong."""
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or text.count("\n") != crlf:
        raise HTTPParseError("bare CR or LF in response head")
    if forbidden_head_char_re.search(text):
        raise HTTPParseError("control character in response head")
    lines = text.split("\r\n")
    match = status_line_re.fullmatch(lines[0])
    if match is None:
        raise HTTPParseError(f"malformed status line {lines[0][:100]!r}")
    version, code_text, reason = match.groups()
    code = int(code_text)
    if code < 100:
        raise HTTPParseError(f"invalid status code {code}")
    if version != "HTTP/1.0":
        version = "HTTP/1.1"
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
    return ResponseStartLine(version, code, (reason or "").strip(" \t")), headers


def response_body_length(
    request_method: str, start_line: ResponseStartLine, headers: HTTPHeaders
) -> int | None:
    """Decide how the body of a response is delimited (RFC 9112 §6.3).

    Args:
        request_method: the method of the request being answered (``"HEAD"``
            responses never have a body).
        start_line: the parsed status line.
        headers: the parsed fields.

    Returns:
        The body length in bytes (``0`` for HEAD, 1xx, 204 and 304 responses),
        ``-1`` for a chunked body, or ``None`` for a body delimited by the end of
        the connection.

    Raises:
        HTTPParseError: both ``Content-Length`` and ``Transfer-Encoding`` (a
            request-smuggling signature), a ``Transfer-Encoding`` other than exactly
            ``chunked``, a malformed or conflicting ``Content-Length``.
    """
    code = start_line.code
    if request_method == "HEAD" or code < 200 or code in (204, 304):
        return 0
    te = headers.get_list("Transfer-Encoding")
    cl = headers.get_list("Content-Length")
    if te:
        if cl:
            raise HTTPParseError("response with both Content-Length and Transfer-Encoding")
        if len(te) != 1 or te[0].strip(" \t").lower() != "chunked":
            raise HTTPParseError(f"unsupported Transfer-Encoding {','.join(te)[:100]!r}")
        if start_line.version == "HTTP/1.0":
            raise HTTPParseError("Transfer-Encoding in an HTTP/1.0 response")
        return -1
    if not cl:
        return None
    if len(cl) == 1:
        # The usual case, one plain number: the same checks without the set.
        value = cl[0].strip(" \t")
        if value.isascii() and value.isdigit():  # == content_length_re.fullmatch
            return _length_value(value)
    values = {v.strip(" \t") for item in cl for v in item.split(",")}
    if len(values) != 1:
        raise HTTPParseError("conflicting Content-Length values")
    (value,) = values
    if content_length_re.fullmatch(value) is None:
        raise HTTPParseError(f"malformed Content-Length {value[:40]!r}")
    return _length_value(value)


def _length_value(digits: str) -> int:
    """A checked run of ASCII digits as a length (at most 19 significant digits)."""
    digits = digits.lstrip("0") or "0"
    if len(digits) > 19:
        raise HTTPParseError("Content-Length too large", 413)
    return int(digits)


class ResponseParser:
    """Incremental parser for the response(s) to one request.

    Usage: ``feed(data)`` with bytes from the socket (``feed_eof()`` once the peer
    closed); ``next_head(method)`` returns ``(start_line, headers)`` or ``None``
    if more data is needed. After a 1xx interim response ``next_head`` may be called
    again for the next head; after a final response call ``read_body(max_chunk)``
    until it reports the end of the body. Errors raise ``HTTPParseError`` and leave
    the parser unusable.

    Args:
        max_header_size: longest head (status line + fields) in bytes.
        max_fields: most field lines per head or trailer section.
    """

    def __init__(
        self, max_header_size: int = DEFAULT_MAX_HEADER_SIZE, max_fields: int = DEFAULT_MAX_FIELDS
    ) -> None:
        self.max_header_size = max_header_size
        self.max_fields = max_fields
        self._buf = bytearray()
        self._state = _HEAD
        self._scan = 0
        self._remaining = 0
        self._eof = False
        #: Body length of the final response (see ``response_body_length``).
        self.content_length: int | None = 0
        #: Bytes received so far for this exchange (``int``).
        self.received = 0

    def feed(self, data: bytes) -> None:
        """Append bytes received from the server."""
        self.received += len(data)
        self._buf += data

    def feed_eof(self) -> None:
        """Record that the server closed the connection (no more bytes will come)."""
        self._eof = True

    @property
    def eof(self) -> bool:
        """``True`` once ``feed_eof`` was called."""
        return self._eof

    @property
    def buffered(self) -> int:
        """Number of received bytes not yet consumed (``int``)."""
        return len(self._buf)

    def next_head(self, request_method: str) -> tuple[ResponseStartLine, HTTPHeaders] | None:
        """Parse the next response head if it is complete.

        Args:
            request_method: the request's method (decides the framing of a HEAD
                response).

        Returns:
            ``(ResponseStartLine, HTTPHeaders)``, or ``None`` if more data is needed.
            After a final (non-1xx) head the parser reads that response's body.

        Raises:
            HTTPParseError: a malformed or oversized head (431), or the connection
                closed in the middle of one.
            RuntimeError: if called while a body is being read.
        """
        if self._state != _HEAD:
            raise RuntimeError("next_head() called outside the head state")
        buf = self._buf
        start = self._scan
        end = buf.find(b"\r\n\r\n", start)
        if end < 0:
            if len(buf) > self.max_header_size + 3:
                raise HTTPParseError("response head too large", 431)
            if self._eof:
                raise HTTPParseError("connection closed in the middle of a response head")
            self._scan = max(0, len(buf) - 3)
            return None
        if end > self.max_header_size:
            raise HTTPParseError("response head too large", 431)
        block = bytes(buf[:end])
        del buf[: end + 4]
        self._scan = 0
        start_line, headers = parse_response_head(block, self.max_fields)
        if 100 <= start_line.code < 200 and start_line.code != 101:
            if "Content-Length" in headers or "Transfer-Encoding" in headers:
                raise HTTPParseError("1xx response with a body")
            return start_line, headers  # interim: stay in _HEAD
        length = response_body_length(request_method, start_line, headers)
        self.content_length = length
        if length is None:
            self._state = _UNTIL_CLOSE
        elif length == -1:
            self._state = _CHUNK_SIZE
        elif length:
            self._state = _LENGTH
            self._remaining = length
        else:
            self._state = _DONE
        return start_line, headers

    def read_body(self, max_chunk: int) -> tuple[bytes, bool]:
        """Consume buffered body bytes of the final response.

        Args:
            max_chunk: most bytes of body data to return at once (``int`` > 0).

        Returns:
            ``(data, done)``: de-chunked body bytes (possibly empty) and whether the
            body is complete. ``(b"", False)`` means more input is needed.

        Raises:
            HTTPParseError: a malformed chunk size line, missing CRLF after chunk
                data, a malformed or oversized trailer section, or the connection
                closed before a ``Content-Length`` or chunked body was complete.
        """
        buf = self._buf
        while True:
            state = self._state
            if state == _DONE:
                return b"", True
            if state == _HEAD:
                raise RuntimeError("read_body() called before a final response head")
            if state == _UNTIL_CLOSE:
                if buf:
                    n = min(len(buf), max_chunk)
                    data = bytes(buf[:n])
                    del buf[:n]
                    return data, False
                if self._eof:
                    self._state = _DONE
                    return b"", True
                return b"", False
            if state in (_LENGTH, _CHUNK_DATA):
                if not buf:
                    if self._eof:
                        raise HTTPParseError("connection closed before the end of the body")
                    return b"", False
                n = min(self._remaining, len(buf), max_chunk)
                data = bytes(buf[:n])
                del buf[:n]
                self._remaining -= n
                if self._remaining == 0:
                    self._state = _DONE if state == _LENGTH else _CHUNK_CRLF
                return data, self._state == _DONE
            if state == _CHUNK_SIZE:
                end = buf.find(b"\r\n", 0, MAX_CHUNK_LINE + 2)
                if end < 0:
                    if len(buf) > MAX_CHUNK_LINE or b"\n" in buf:
                        raise HTTPParseError("malformed chunk size line")
                    if self._eof:
                        raise HTTPParseError("connection closed in a chunked body")
                    return b"", False
                self._remaining = _parse_chunk_size(bytes(buf[:end]))
                del buf[: end + 2]
                self._state = _CHUNK_DATA if self._remaining else _TRAILER
            elif state == _CHUNK_CRLF:
                if len(buf) < 2:
                    if buf and buf[0] != 0x0D:
                        raise HTTPParseError("missing CRLF after chunk data")
                    if self._eof:
                        raise HTTPParseError("connection closed in a chunked body")
                    return b"", False
                if buf[:2] != b"\r\n":
                    raise HTTPParseError("missing CRLF after chunk data")
                del buf[:2]
                self._state = _CHUNK_SIZE
            else:  # _TRAILER
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    self._state = _DONE
                    return b"", True
                end = buf.find(b"\r\n\r\n", self._scan)
                if end < 0:
                    if len(buf) > self.max_header_size + 3:
                        raise HTTPParseError("trailer section too large", 431)
                    if self._eof:
                        raise HTTPParseError("connection closed in a trailer section")
                    self._scan = max(0, len(buf) - 3)
                    return b"", False
                if end > self.max_header_size:
                    raise HTTPParseError("trailer section too large", 431)
                _check_trailer(bytes(buf[:end]), self.max_fields)
                del buf[: end + 4]
                self._scan = 0
                self._state = _DONE
                return b"", True
