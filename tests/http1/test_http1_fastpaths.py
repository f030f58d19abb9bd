"""Fast paths of squall-http1 give the same results as the general paths they bypass."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.http1connection import HTTP1ConnectionParameters, HTTPParseError
from squall.http1connection._output import format_head
from squall.http1connection._parser import RequestParser, parse_request_head
from squall.http1connection._parser_api import new_parser
from squall.httputil import HTTPHeaders, HTTPOutputError, HTTPServerRequest
from squall.httputil._abnf import (
    field_name_re,
    forbidden_head_char_re,
    request_line_re,
    unsafe_output_char_re,
)
from squall.httputil._forms import parse_qs_bytes

_names = st.sampled_from(["a", "B", "c-d", "C-D", "content-type", "X-Y-Z", "x-y-z"])
_pairs = st.lists(st.tuples(_names, st.text("xyz ,", max_size=5)))


@given(_pairs)
def test_headers_from_pairs_matches_add(pairs: list[tuple[str, str]]) -> None:
    slow = HTTPHeaders()
    for name, value in pairs:
        slow.add(name, value)
    fast = HTTPHeaders._from_pairs(pairs)
    assert fast == slow
    assert list(fast.get_all()) == list(slow.get_all())
    assert fast._last_key == slow._last_key
    fast.add("Extra", "1")  # still a working HTTPHeaders
    assert fast["extra"] == "1"


_query = st.lists(
    st.tuples(st.text("ab=&%+1", max_size=4), st.text("ab=&%+1", max_size=4)), max_size=4
).map(lambda kv: "&".join(f"{k}={v}" if v else k for k, v in kv))


@given(_query)
def test_request_arguments_match_parse_qs(query: str) -> None:
    """An empty query skips the parser; the copies stay independent either way."""
    uri = f"/p?{query}" if query else "/p"
    request = HTTPServerRequest("GET", uri)
    expected = parse_qs_bytes(query, keep_blank_values=True)
    assert request.arguments == expected
    assert request.query_arguments == expected
    for values in request.arguments.values():
        values.append(b"extra")  # what merging body arguments does
    assert request.query_arguments == expected


def _reference_head(reason: str, headers: HTTPHeaders) -> bytes:
    """The per-field checks ``format_head`` replaces: one regex per name and value."""
    if unsafe_output_char_re.search(reason):
        raise HTTPOutputError("reason")
    lines = [f"HTTP/1.1 200 {reason}"]
    for name, value in headers.get_all():
        if field_name_re.fullmatch(name) is None or unsafe_output_char_re.search(value):
            raise HTTPOutputError("field")
        lines.append(f"{name}: {value}")
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError as e:
        raise HTTPOutputError("latin-1") from e


_chars = st.sampled_from(
    ["a", "Z", "-", " ", ":", "\r", "\n", "\x00", "\t", "\xe9", "\u20ac", "("]
)
_text = st.lists(_chars, max_size=6).map("".join)


@given(_text, st.lists(st.tuples(_text, _text), max_size=4))
def test_format_head_matches_per_field_checks(reason: str, pairs: list[tuple[str, str]]) -> None:
    headers = HTTPHeaders()
    for name, value in pairs:
        headers.add(name, value)
    try:
        expected: bytes | None = _reference_head(reason, headers)
    except HTTPOutputError:
        expected = None
    if expected is None:
        with pytest.raises(HTTPOutputError):
            format_head(f"HTTP/1.1 200 {reason}", headers, reason)
    else:
        assert format_head(f"HTTP/1.1 200 {reason}", headers, reason) == expected
    # A name found valid once is remembered; the answer must not change.
    if expected is None:
        with pytest.raises(HTTPOutputError):
            format_head(f"HTTP/1.1 200 {reason}", headers, reason)


def test_format_head_errors_name_the_culprit() -> None:
    with pytest.raises(HTTPOutputError, match="reason phrase"):
        format_head("HTTP/1.1 200 O\rK", HTTPHeaders(), "O\rK")
    with pytest.raises(HTTPOutputError, match="header X"):
        format_head("HTTP/1.1 200 OK", HTTPHeaders({"X": "a\nb"}), "OK")
    with pytest.raises(HTTPOutputError, match="header name"):
        format_head("HTTP/1.1 200 OK", HTTPHeaders({"Bad Name": "v"}), "OK")
    with pytest.raises(HTTPOutputError, match="Latin-1"):
        format_head("HTTP/1.1 200 OK", HTTPHeaders({"X": "\u20ac"}), "OK")


# -- the parser's whole-head fast path against its incremental path ------------------

_head_bytes = st.lists(
    st.sampled_from(
        [
            *(b"GET", b" ", b"/x", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"\r\n", b"\n"),
            *(b"\r", b"Host: a", b"X: " + b"v" * 30, b"Content-Length: 3", b"abc", b":"),
            *(b"\x00", b"\t", b"\r\n\r\n"),
        ]
    ),
    max_size=14,
).map(b"".join)


def _parse_outcome(data: bytes, split: int | None) -> object:
    """Parse with small limits, whole (fast path) or in 3-byte pieces (incremental)."""
    parser = RequestParser(
        max_request_line=40, max_header_size=90, max_fields=3, max_field_size=20
    )
    pieces = [data] if split is None else [data[i : i + split] for i in range(0, len(data), split)]
    heads = []
    try:
        for piece in pieces:
            parser.feed(piece)
            while parser.in_head:
                head = parser.next_head()
                if head is None:
                    break
                heads.append((tuple(head[0]), list(head[1].get_all()), parser.content_length))
                while not parser.read_body(1 << 20)[1]:
                    break
    except HTTPParseError as e:
        return heads, e.code
    return heads, None


@given(_head_bytes, _head_bytes, st.integers(1, 8))
def test_whole_head_fast_path_matches_incremental_parsing(
    first: bytes, second: bytes, split: int
) -> None:
    data = first + b"\r\n\r\n" + second
    assert _parse_outcome(data, None) == _parse_outcome(data, split)


def test_field_line_limit() -> None:
    def head(value_size: int) -> bytes:
        return b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"v" * value_size + b"\r\n\r\n"

    limit = 8 * 1024
    at_limit = limit - len("X-Big:") - 1  # "X-Big: " + value == limit bytes
    parser = new_parser(HTTP1ConnectionParameters())
    parser.feed(head(at_limit))
    assert parser.next_head() is not None
    for params in (HTTP1ConnectionParameters(), HTTP1ConnectionParameters(max_field_size=limit)):
        parser = new_parser(params)
        parser.feed(head(at_limit + 1))
        with pytest.raises(HTTPParseError) as info:
            parser.next_head()
        assert info.value.code == 431
    # Configurable: a larger limit, or none (only max_header_size then).
    for params in (
        HTTP1ConnectionParameters(max_field_size=16 * 1024),
        HTTP1ConnectionParameters(max_field_size=None),
    ):
        parser = new_parser(params)
        parser.feed(head(12 * 1024))
        assert parser.next_head() is not None


def test_trailer_field_line_limit() -> None:
    wire = (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1\r\nx\r\n0\r\nX-T: " + b"t" * 9000 + b"\r\n\r\n"
    )
    parser = new_parser(HTTP1ConnectionParameters())
    parser.feed(wire)
    assert parser.next_head() is not None
    with pytest.raises(HTTPParseError) as info:
        while not parser.read_body(1 << 20)[1]:
            pass
    assert info.value.code == 431
    relaxed = new_parser(HTTP1ConnectionParameters(max_field_size=None))
    relaxed.feed(wire)
    assert relaxed.next_head() is not None
    body = b""
    while True:
        data, done = relaxed.read_body(1 << 20)
        body += data
        if done:
            break
    assert body == b"x"


def _reference_parse(text: str, max_fields: int) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """The straightforward per-line parser that the one-pass ``findall`` replaces."""
    crlf = text.count("\r\n")
    if text.count("\r") != crlf or text.count("\n") != crlf:
        raise HTTPParseError("bare CR or LF")
    if forbidden_head_char_re.search(text):
        raise HTTPParseError("control character")
    lines = text.split("\r\n")
    match = request_line_re.fullmatch(lines[0])
    if match is None:
        raise HTTPParseError("request line")
    if match.group(3) not in ("HTTP/1.0", "HTTP/1.1"):
        raise HTTPParseError("version", 505)
    if len(lines) - 1 > max_fields:
        raise HTTPParseError("fields", 431)
    pairs = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or field_name_re.fullmatch(name) is None:
            raise HTTPParseError("field line")
        pairs.append((name, value.strip(" \t")))
    return tuple(match.groups()), list(HTTPHeaders._from_pairs(pairs).get_all())


_head_text = st.lists(
    st.sampled_from(
        [
            *("GET / HTTP/1.1", "PUT /a?b HTTP/1.0", "GET / HTTP/2.0", "GET  / HTTP/1.1"),
            *("\r\n", "Host: a", "X-A:  v v\t", "x-a:", "Bad Name: v", " fold", ":v", "\r"),
            *("\n", "\x00", "\x01", "\t", "\x7f", "\xe9", "a:b:c", "X:\x0bv"),
        ]
    ),
    max_size=10,
).map("".join)


@given(_head_text, st.integers(0, 4))
def test_one_pass_head_parse_matches_per_line_parse(text: str, max_fields: int) -> None:
    try:
        expected: object = _reference_parse(text, max_fields)
    except HTTPParseError as e:
        expected = e.code
    try:
        start_line, headers = parse_request_head(text.encode("latin-1"), max_fields)
        got: object = (tuple(start_line), list(headers.get_all()))
    except HTTPParseError as e:
        got = e.code
    assert got == expected
