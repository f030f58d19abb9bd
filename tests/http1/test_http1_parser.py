"""Byte-level request parser: table-driven cases, Hypothesis properties, h11 differential."""

from __future__ import annotations

import time

import h11
import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.http1connection import HTTPParseError
from squall.http1connection._parser import RequestParser
from squall.httputil import HTTPHeaders, RequestStartLine

Message = tuple[str, str, str, list[tuple[str, str]], bytes]


def parse_all(data: bytes, *, byte_by_byte: bool = False, chunk: int = 1 << 20) -> list[Message]:
    """Feed ``data``; return [(method, target, version, headers pairs, body)] or raise."""
    parser = RequestParser()
    pieces = [data[i : i + 1] for i in range(len(data))] if byte_by_byte else [data]
    messages: list[Message] = []
    current: tuple[RequestStartLine, HTTPHeaders] | None = None
    body = b""

    def drain() -> None:
        nonlocal current, body
        while True:
            if current is None:
                head = parser.next_head()
                if head is None:
                    return
                current, body = head, b""
            data, done = parser.read_body(chunk)
            body += data
            if done:
                start, headers = current
                messages.append(
                    (start.method, start.path, start.version, list(headers.get_all()), body)
                )
                current = None
            elif not data:
                return

    for piece in pieces:
        parser.feed(piece)
        drain()
    return messages


GOOD = [
    (
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        [("GET", "/", "HTTP/1.1", [("Host", "a")], b"")],
    ),
    (
        b"\r\n\r\nGET /x?y=1 HTTP/1.0\r\n\r\n",
        [("GET", "/x?y=1", "HTTP/1.0", [], b"")],
    ),
    (
        b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        [("POST", "/p", "HTTP/1.1", [("Host", "a"), ("Content-Length", "5")], b"hello")],
    ),
    (
        b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        [
            (
                "POST",
                "/p",
                "HTTP/1.1",
                [("Host", "a"), ("Content-Length", "3"), ("Content-Length", "3")],
                b"abc",
            )
        ],
    ),
    (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n10 \r\n0123456789abcdef\r\n0\r\nX-Trailer: v\r\n\r\n",
        [
            (
                "POST",
                "/",
                "HTTP/1.1",
                [("Host", "a"), ("Transfer-Encoding", "Chunked")],
                b"abc0123456789abcdef",
            )
        ],
    ),
    (
        b"GET http://h/p HTTP/1.1\r\nhost:   b \t\r\nX-Obs: caf\xe9\r\n\r\n",
        [("GET", "http://h/p", "HTTP/1.1", [("Host", "b"), ("X-Obs", "caf\xe9")], b"")],
    ),
    (
        b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
        [
            ("GET", "/1", "HTTP/1.1", [("Host", "a")], b""),
            ("GET", "/2", "HTTP/1.1", [("Host", "a")], b""),
        ],
    ),
    (
        b"OPTIONS * HTTP/1.1\r\nHost: a\r\nEmpty:\r\n\r\n",
        [("OPTIONS", "*", "HTTP/1.1", [("Host", "a"), ("Empty", "")], b"")],
    ),
]

BAD = [
    (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    (
        b"GET / HTTP/1.1\r\nHost: a\r\n"
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    (b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),  # obs-fold
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),  # bare CR
    (b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400),  # bare LF
    (b"GET / HTTP/1.1\nHost: a\n\n", 400),
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),  # whitespace before colon
    (b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nN\xe9me: v\r\n\r\n", 400),
    (b"G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"G\xc3\xa9T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
    (b"GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # missing Host
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  # duplicate Host
    *[
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + cl + b"\r\n\r\n", 400)
        for cl in (b"+10", b"1_0", b"0x3", b"-1", b"1.0", b"\xd9\xa3", b"", b"1 0")
    ],
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
    *[
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size
            + b"\r\nabc\r\n0\r\n\r\n",
            400,
        )
        for size in (b"+3", b"0x3", b"1_0", b" 3", b"-1", b"", b"3\x00", b"1" * 17, b"3 x")
    ],
    (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        400,
    ),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400),
    (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\nBad Trailer\r\n\r\n",
        400,
    ),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    (b"GET /" + b"a" * 9000, 414),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70000, 431),
    (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: a\r\n" * 100 + b"\r\n", 431),
]


@pytest.mark.parametrize(("wire", "expected"), GOOD)
def test_valid_requests_parse(wire: bytes, expected: list[Message]) -> None:
    assert parse_all(wire) == expected
    assert parse_all(wire, byte_by_byte=True) == expected
    assert parse_all(wire, chunk=1) == expected


@pytest.mark.parametrize(("wire", "code"), BAD)
def test_hostile_requests_rejected(wire: bytes, code: int) -> None:
    for byte_by_byte in (False, True):
        with pytest.raises(HTTPParseError) as info:
            parse_all(wire, byte_by_byte=byte_by_byte)
        assert info.value.code == code


def test_bare_lf_fails_before_the_size_limit() -> None:
    parser = RequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\n")
    with pytest.raises(HTTPParseError):
        parser.next_head()


def test_exactly_at_limits_is_accepted() -> None:
    target = b"/" + b"a" * (8192 - len(b"GET  HTTP/1.1") - 1)
    line = b"GET " + target + b" HTTP/1.1"
    assert len(line) == 8192
    assert parse_all(line + b"\r\nHost: a\r\n\r\n")[0][1] == target.decode()
    fields = b"".join(b"X%d: a\r\n" % i for i in range(99))
    assert len(parse_all(b"GET / HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n")[0][3]) == 100


def test_big_input_is_linear() -> None:
    # Each would be quadratic with a naive re-scan; byte-by-byte for the worst case.
    for wire in (
        b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b" " * 60000,
        b"GET /" + b"a" * 8000,
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X:\r\n" * 90 + b"Y: " + b"\r" * 30000,
    ):
        start = time.perf_counter()
        parser = RequestParser()
        try:
            for i in range(len(wire)):
                parser.feed(wire[i : i + 1])
                assert parser.next_head() is None
        except HTTPParseError:
            pass
        assert time.perf_counter() - start < 2.0


# -- Hypothesis -------------------------------------------------------------------------

tchar = st.sampled_from(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
tokens = st.text(tchar, min_size=1, max_size=12)
field_names = tokens.filter(
    lambda n: n.lower() not in ("host", "content-length", "transfer-encoding")
)
vchar = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
field_values = st.text(st.one_of(vchar, st.just(" "), st.just("\t")), max_size=20).map(
    lambda v: v.strip(" \t")
)
targets = st.text(vchar, min_size=1, max_size=30).map(lambda t: "/" + t)


GenRequest = tuple[bytes, str, str, str, list[tuple[str, str]], bytes]


@st.composite
def requests(draw: st.DrawFn) -> GenRequest:
    method = draw(tokens)
    target = draw(targets)
    version = draw(st.sampled_from(["HTTP/1.0", "HTTP/1.1"]))
    fields = draw(st.lists(st.tuples(field_names, field_values), max_size=8))
    body = draw(st.binary(max_size=40))
    headers = [("Host", draw(tokens)), *fields]
    framing = draw(st.sampled_from(["length", "chunked"] if version == "HTTP/1.1" else ["length"]))
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
        encoded = body
    else:
        headers.append(("Transfer-Encoding", "chunked"))
        cut = draw(st.integers(0, len(body)))
        parts = [p for p in (body[:cut], body[cut:]) if p]
        encoded = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    head = f"{method} {target} {version}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    return head.encode("latin-1") + b"\r\n" + encoded, method, target, version, headers, body


def _norm(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Group values by lower-cased name, keeping each name's value order."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


@given(requests())
def test_generated_valid_requests_parse(req: GenRequest) -> None:
    wire, method, target, version, headers, body = req
    for kwargs in ({}, {"byte_by_byte": True}):
        (msg,) = parse_all(wire, **kwargs)
        assert msg[:3] == (method, target, version)
        assert _norm(msg[3]) == _norm(headers)
        assert msg[4] == body


def _outcome(data: bytes, **kwargs: bool) -> object:
    try:
        return parse_all(data, **kwargs)
    except HTTPParseError as e:
        return ("error", e.code)


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_raise_the_typed_error(data: bytes) -> None:
    assert _outcome(data) == _outcome(data, byte_by_byte=True)


@given(requests(), st.integers(0, 200), st.binary(min_size=1, max_size=3))
def test_mutated_requests_parse_or_raise_the_typed_error(
    req: GenRequest, pos: int, junk: bytes
) -> None:
    wire = req[0]
    pos = min(pos, len(wire))
    mutated = wire[:pos] + junk + wire[pos:]
    assert _outcome(mutated) == _outcome(mutated, byte_by_byte=True)


@given(requests())
def test_differential_against_h11(req: GenRequest) -> None:
    wire = req[0]
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(wire)
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    body = b""
    while True:
        ev = conn.next_event()
        if isinstance(ev, h11.Data):
            body += ev.data
        else:
            assert isinstance(ev, h11.EndOfMessage)
            break
    (msg,) = parse_all(wire)
    assert msg[0].encode() == event.method
    assert msg[1].encode() == event.target
    assert msg[2] == "HTTP/" + event.http_version.decode()
    assert _norm(msg[3]) == _norm(
        [(bytes(n).decode("latin-1"), bytes(v).decode("latin-1")) for n, v in event.headers]
    )
    assert msg[4] == body
