"""The client side of ``HTTP1Connection``: writing a request head, reading a response.

``HTTP1Connection`` delegates here when it was made with ``is_client=True``. The
request is written with the shared write path (``write``/``finish`` frame the body
with ``Content-Length`` or chunked encoding); the response is parsed by the sans-IO
``ResponseParser`` and fed to an ``HTTPMessageDelegate``.

Persistence (RFC 9112 §9.3): after a complete response the stream is left open
only if both sides allow it (HTTP/1.1 without ``Connection: close``, or HTTP/1.0
with ``keep-alive``), the body was not delimited by the close, the whole request
was written and the server sent nothing beyond the response. Otherwise the stream
is closed, so a caller pooling connections only needs ``stream.closed()``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from squall.http1connection._errors import HTTPParseError
from squall.http1connection._gzip import GzipMessageDelegate
from squall.http1connection._response_parser import ResponseParser
from squall.httputil import (
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    HTTPOutputError,
    RequestStartLine,
    ResponseStartLine,
)
from squall.httputil._abnf import (
    FIELD_NAME,
    REQUEST_TARGET,
    TOKEN,
    content_length_re,
    field_name_re,
    token_re,
    unsafe_output_char_re,
)
from squall.iostream import StreamClosedError
from squall.log import gen_log

if TYPE_CHECKING:
    from squall.http1connection._connection import HTTP1Connection

_READ_SIZE = 64 * 1024
_request_target_re = re.compile(REQUEST_TARGET)
# A whole request head (without its final CRLF CRLF) in one match: a token method, a
# visible-ASCII target, then ``name: value`` lines with a token name and a value
# without CR, LF or NUL. With the CRLF count (see ``_head_is_safe``) a match implies
# every per-field check of ``_check_head``.
_SAFE_HEAD = re.compile(rf"{TOKEN} {REQUEST_TARGET} HTTP/1\.1(?:\r\n{FIELD_NAME}: [^\r\n\x00]*)*")
#: Methods whose requests get a chunked body when no Content-Length is set (Tornado).
_CHUNKED_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _connection_tokens(headers: HTTPHeaders) -> set[str]:
    value = headers.get("Connection")
    if not value:
        return set()
    return {t.strip(" \t").lower() for t in value.split(",")}


def format_request_head(
    conn: HTTP1Connection, start_line: RequestStartLine, headers: HTTPHeaders
) -> bytes:
    """Validate and serialise a request head (RFC 9112 §3, §5), updating ``conn``'s state.

    A ``POST``, ``PUT`` or ``PATCH`` request without ``Content-Length`` or
    ``Transfer-Encoding`` gets ``Transfer-Encoding: chunked`` (Tornado's rule); any
    other request without ``Content-Length`` may not carry body bytes.

    Raises:
        HTTPOutputError: a method that is not a token, a target that is not
            visible ASCII, a field name that is not a token, CR/LF/NUL in a value,
            a missing ``Host`` (RFC 9112 §3.2), a malformed ``Content-Length``,
            non-Latin-1 text, or a head already written.
    """
    if conn._response_started:
        raise HTTPOutputError("request headers were already written")
    method, target = start_line.method, start_line.path
    lines = [f"{method} {target} HTTP/1.1"]
    lines.extend([f"{name}: {value}" for name, value in headers.get_all()])
    text = "\r\n".join(lines)
    if not _head_is_safe(text, len(lines)):
        _check_head(method, target, headers)  # raises, naming the first bad field
    if "Host" not in headers:
        raise HTTPOutputError("an HTTP/1.1 request needs a Host header")
    expected: int | None = None
    if "Content-Length" in headers:
        value = headers["Content-Length"]
        if content_length_re.fullmatch(value) is None:
            raise HTTPOutputError(f"invalid Content-Length {value!r}")
        expected = int(value)
    chunking = False
    if "Transfer-Encoding" not in headers:
        if expected is None and method in _CHUNKED_METHODS:
            chunking = True
            headers["Transfer-Encoding"] = "chunked"
            text += "\r\nTransfer-Encoding: chunked"
        elif expected is None:
            expected = 0
    if conn.no_keep_alive and "Connection" not in headers:
        headers["Connection"] = "close"
        text += "\r\nConnection: close"
    try:
        data = (text + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError as e:
        raise HTTPOutputError(f"request head is not Latin-1: {e}") from e
    conn._request_start_line = start_line
    conn._request_headers = headers
    conn._response_started = True  # on the client: "the head has been written"
    conn._chunking_output = chunking
    conn._discard_body = False
    conn._expected_content_remaining = expected
    conn._disconnect_on_finish = conn.no_keep_alive or "close" in _connection_tokens(headers)
    return data


def _head_is_safe(text: str, line_count: int) -> bool:
    """Fast check of a joined request head (``line_count`` lines joined by CRLF).

    ``_SAFE_HEAD`` admits CR and LF only as the CRLF starting a field line, so when
    the head also holds exactly ``line_count - 1`` LFs, no line contains one and
    each line matched as a whole: the method and every name are tokens, the target
    is visible ASCII and no value holds CR, LF or NUL.
    """
    return text.count("\n") == line_count - 1 and _SAFE_HEAD.fullmatch(text) is not None


def _check_head(method: str, target: str, headers: HTTPHeaders) -> None:
    """Check a request head field by field (the slow path: reports the first fault).

    Raises:
        HTTPOutputError: a method that is not a token, a target that is not
            visible ASCII, a field name that is not a token, CR/LF/NUL in a value.
    """
    if token_re.fullmatch(method) is None:
        raise HTTPOutputError(f"invalid request method {method[:40]!r}")
    if _request_target_re.fullmatch(target) is None:
        raise HTTPOutputError(f"invalid request target {target[:100]!r}")
    for name, value in headers.get_all():
        if field_name_re.fullmatch(name) is None:
            raise HTTPOutputError(f"invalid header name {name!r}")
        if unsafe_output_char_re.search(value):
            raise HTTPOutputError(f"invalid character in header {name}: {value!r}")


def _can_keep_alive(start_line: ResponseStartLine, headers: HTTPHeaders) -> bool:
    tokens = _connection_tokens(headers)
    if start_line.version == "HTTP/1.1":
        return "close" not in tokens
    return "keep-alive" in tokens


async def _fill(conn: HTTP1Connection, parser: ResponseParser) -> None:
    try:
        data = await conn.stream.read_bytes(_READ_SIZE, partial=True)
    except StreamClosedError:
        if parser.received == 0 or parser.eof:
            raise  # nothing of a response arrived: the caller sees a closed stream
        parser.feed_eof()
        return
    parser.feed(data)


def _expects_continue(conn: HTTP1Connection) -> bool:
    """Whether a ``100 Continue`` is the answer to a pending ``Expect: 100-continue``."""
    headers = conn._request_headers
    return (
        headers is not None
        and headers.get("Expect", "").lower() == "100-continue"
        and not conn._write_finished
    )


async def read_response(conn: HTTP1Connection, delegate: HTTPMessageDelegate) -> bool:
    """Read the response to the request written on ``conn`` and feed it to ``delegate``.

    See ``HTTP1Connection.read_response`` for the contract.
    """
    params = conn.params
    max_body = conn._max_body_size
    chunk_size = params.chunk_size
    parser = ResponseParser(max_header_size=params.max_header_size)
    request = conn._request_start_line
    method = request.method if request is not None else "GET"
    need_delegate_close = False
    stream = conn.stream
    try:
        head = None  # a fresh parser holds nothing: read before looking for a head
        while True:
            while head is None:
                # _fill, inlined: the head read happens once per response.
                try:
                    data = await stream.read_bytes(_READ_SIZE, partial=True)
                except StreamClosedError:
                    if parser.received == 0 or parser.eof:
                        raise  # nothing of a response arrived: a closed stream
                    parser.feed_eof()
                else:
                    parser.feed(data)
                head = parser.next_head(method)
            start_line, headers = head
            code = start_line.code
            if code >= 200 or code == 101:
                break
            # RFC 9110 §15.2: interim responses. Only a 100 answering our
            # ``Expect: 100-continue`` reaches the delegate (it then sends the body).
            if code == 100 and _expects_continue(conn):
                need_delegate_close = True
                result = delegate.headers_received(start_line, headers)
                if result is not None:
                    await result
            head = parser.next_head(method)
        keep_alive = _can_keep_alive(start_line, headers)
        if params.decompress and "Content-Encoding" in headers:
            # Only an encoded body needs the decoder (which also counts decoded
            # bytes against max_body); a plain body is counted below as it arrives.
            delegate = GzipMessageDelegate(
                delegate, chunk_size, max_body, message="response", require_end=False
            )
        need_delegate_close = True
        result = delegate.headers_received(start_line, headers)
        if result is not None:
            await result
        if conn._detached:
            need_delegate_close = False
            return False
        length = parser.content_length
        if length is not None and length > max_body:
            raise HTTPParseError("Content-Length too long", 413)
        received = 0
        while True:
            data, done = parser.read_body(chunk_size)
            if data:
                received += len(data)
                if received > max_body:
                    raise HTTPParseError("response body exceeds max_body_size", 413)
                result = delegate.data_received(data)
                if result is not None:
                    await result
            if done:
                break
            if not data:
                await _fill(conn, parser)
        conn._read_finished = True
        need_delegate_close = False
        delegate.finish()
        reusable = (
            keep_alive
            and code != 101
            and length is not None
            and conn._write_finished
            and not conn._disconnect_on_finish
            and not parser.buffered
        )
        if not reusable:
            stream.close()
        return True
    except HTTPInputError as e:
        gen_log.info("Malformed HTTP response from %s: %s", conn.context, e)
        need_delegate_close = False
        stream.close()
        raise
    except StreamClosedError:
        stream.close()
        return False
    finally:
        if need_delegate_close:
            delegate.on_connection_close()
        conn._clear_callbacks()
