"""The response parser (table-driven and Hypothesis) and the client side of HTTP1Connection."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.http1connection import HTTP1Connection, HTTP1ConnectionParameters, HTTPParseError
from squall.http1connection._response_parser import ResponseParser
from squall.httputil import (
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPOutputError,
    RequestStartLine,
    ResponseStartLine,
)
from squall.iostream import IOStream

Event = tuple[Any, ...]


def parse(
    wire: bytes, method: str = "GET", step: int | None = None, eof: bool = True
) -> list[Event]:
    """Feed ``wire`` (at once or ``step`` bytes at a time); return heads and the body."""
    parser = ResponseParser(max_header_size=4096)
    events: list[Event] = []
    pieces = [wire] if step is None else [wire[i : i + step] for i in range(0, len(wire), step)]
    pieces = pieces or [b""]
    body = b""
    in_body = False
    done = False
    for i, piece in enumerate(pieces):
        parser.feed(piece)
        if eof and i == len(pieces) - 1:
            parser.feed_eof()
        while not done:
            if not in_body:
                head = parser.next_head(method)
                if head is None:
                    break
                start_line, headers = head
                events.append(
                    ("head", start_line.code, start_line.reason, list(headers.get_all()))
                )
                if start_line.code >= 200 or start_line.code == 101:
                    in_body = True
                continue
            data, finished = parser.read_body(7)
            body += data
            if finished:
                events.append(("body", body))
                done = True
            elif not data:
                break
    return events


TABLE: list[tuple[str, bytes, list[Event]]] = [
    (
        "GET",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        [("head", 200, "OK", [("Content-Length", "3")]), ("body", b"abc")],
    ),
    (
        "HEAD",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
        [("head", 200, "OK", [("Content-Length", "3")]), ("body", b"")],
    ),
    (
        "GET",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n",
        [("head", 304, "Not Modified", [("Content-Length", "3")]), ("body", b"")],
    ),
    (
        "GET",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204\r\n\r\n",
        [("head", 100, "Continue", []), ("head", 204, "", []), ("body", b"")],
    ),
    (
        "GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'3;name="quoted;value"\r\nabc\r\n0\r\nT: 1\r\n\r\n',
        [("head", 200, "OK", [("Transfer-Encoding", "chunked")]), ("body", b"abc")],
    ),
    (
        "GET",
        b"HTTP/1.0 200 OK\r\n\r\nto the end",
        [("head", 200, "OK", []), ("body", b"to the end")],
    ),
    (
        "GET",
        b"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
        [("head", 200, "OK", [("X-Empty", ""), ("X-Tab", "v")]), ("body", b"")],
    ),
]

BAD = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nA: b\x00\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nA b: c\r\n\r\n",
    b"HTTP/2 200 OK\r\n\r\n",
    b"HTTP/1.1 20 OK\r\n\r\n",
    b"HTTP/1.1 099 Low\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",  # then EOF
    b"HTTP/1.1 200 OK\r\nContent",  # EOF in the head
    b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 5000 + b"\r\n\r\n",  # over max_header_size
]


@pytest.mark.parametrize(("method", "wire", "expected"), TABLE)
@pytest.mark.parametrize("step", [None, 1, 3])
def test_table(method: str, wire: bytes, expected: list[Event], step: int | None) -> None:
    assert parse(wire, method, step) == expected


@pytest.mark.parametrize("wire", BAD)
def test_rejected(wire: bytes) -> None:
    with pytest.raises(HTTPParseError):
        parse(wire)


def test_close_delimited_body_needs_eof() -> None:
    events = parse(b"HTTP/1.1 200 OK\r\n\r\nabc", eof=False)
    assert events == [("head", 200, "OK", [])]


valid_responses = st.builds(
    lambda code, reason, headers, body, chunked: (
        b"HTTP/1.1 %d %s\r\n" % (code, reason)
        + b"".join(b"%s: %s\r\n" % kv for kv in headers)
        + (
            b"Transfer-Encoding: chunked\r\n\r\n"
            + (b"%x\r\n%s\r\n" % (len(body), body) if body else b"")
            + b"0\r\n\r\n"
            if chunked
            else b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
    ),
    st.integers(200, 599).filter(lambda c: c not in (204, 304)),
    st.text("abcdefgh XYZ", max_size=10).map(str.encode),
    st.lists(
        st.tuples(
            st.text("abcxyz-", min_size=1, max_size=8).map(lambda s: b"X-" + s.encode()),
            st.text("abc ;=,/", max_size=20).map(lambda s: s.strip().encode()),
        ),
        max_size=5,
    ),
    st.binary(max_size=200),
    st.booleans(),
)


@given(valid_responses, st.integers(1, 50))
def test_split_anywhere_gives_the_same_events(wire: bytes, step: int) -> None:
    assert parse(wire, step=step) == parse(wire)


@given(st.binary(max_size=300), st.sampled_from(["GET", "HEAD"]), st.integers(1, 40))
def test_any_bytes_parse_or_raise_typed_error(wire: bytes, method: str, step: int) -> None:
    try:
        whole = parse(b"HTTP/1.1 200 OK\r\n" + wire, method)
    except HTTPParseError:
        whole = None
    try:
        split = parse(b"HTTP/1.1 200 OK\r\n" + wire, method, step)
    except HTTPParseError:
        split = None
    assert whole == split


# -- HTTP1Connection, client side, over a loopback socket ---------------------------


class Collect(HTTPMessageDelegate):
    def __init__(self) -> None:
        self.start_line: Any = None
        self.headers: HTTPHeaders | None = None
        self.body = b""
        self.finished = False

    def headers_received(self, start_line: Any, headers: HTTPHeaders) -> None:
        self.start_line, self.headers = start_line, headers

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    def finish(self) -> None:
        self.finished = True


async def exchange_with(
    response: bytes, method: str = "POST", body: bytes | None = b"data", keep: bool = True
) -> tuple[bytes, Collect, bool, bool]:
    received = bytearray()
    got_request = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.extend(await reader.readuntil(b"\r\n\r\n"))
        if method == "POST":
            received.extend(await reader.readuntil(b"0\r\n\r\n"))
        got_request.set()
        writer.write(response)
        await writer.drain()
        if keep:
            await reader.read()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stream = IOStream(socket.socket())
    try:
        await stream.connect(("127.0.0.1", port))
        conn = HTTP1Connection(stream, True, HTTP1ConnectionParameters(decompress=True))
        headers = HTTPHeaders({"Host": "example.com"})
        await conn.write_headers(RequestStartLine(method, "/path?q", "HTTP/1.1"), headers)
        if body is not None and method == "POST":
            await conn.write(body)
        conn.finish()
        delegate = Collect()
        ok = await conn.read_response(delegate)
        still_open = not stream.closed()
    finally:
        stream.close()
        server.close()
        await server.wait_closed()
        await asyncio.sleep(0.01)
    return bytes(received), delegate, ok, still_open


def test_client_connection_chunked_request_and_keep_alive() -> None:
    wire, delegate, ok, still_open = asyncio.run(
        exchange_with(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    )
    assert wire.startswith(b"POST /path?q HTTP/1.1\r\nHost: example.com\r\n")
    assert b"Transfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n0\r\n\r\n" in wire
    assert ok and delegate.finished and delegate.body == b"hi" and still_open
    assert delegate.start_line == ResponseStartLine("HTTP/1.1", 200, "OK")


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        b"HTTP/1.1 200 OK\r\n\r\nhi",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA",
    ],
)
def test_client_connection_closes_when_not_reusable(response: bytes) -> None:
    _wire, delegate, ok, still_open = asyncio.run(exchange_with(response, keep=False))
    assert ok and delegate.body == b"hi" and not still_open


def test_client_connection_get_without_body_and_errors() -> None:
    wire, _delegate, _ok, _ = asyncio.run(
        exchange_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", method="GET", body=None)
    )
    assert wire == b"GET /path?q HTTP/1.1\r\nHost: example.com\r\n\r\n"
    with pytest.raises(HTTPParseError):
        asyncio.run(exchange_with(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", keep=False))


@pytest.mark.parametrize(
    ("start_line", "headers"),
    [
        (RequestStartLine("GET\r\n", "/", "HTTP/1.1"), {"Host": "a"}),
        (RequestStartLine("GET", "/a b", "HTTP/1.1"), {"Host": "a"}),
        (RequestStartLine("GET", "/\r\nX: y", "HTTP/1.1"), {"Host": "a"}),
        (RequestStartLine("GET", "/", "HTTP/1.1"), {"Host": "a\r\nX: y"}),
        (RequestStartLine("GET", "/", "HTTP/1.1"), {"Host": "a", "X\x00": "y"}),
        (RequestStartLine("GET", "/", "HTTP/1.1"), {}),
    ],
)
def test_client_write_headers_rejects_injection(
    start_line: RequestStartLine, headers: Any
) -> None:
    async def main() -> None:
        a, b = socket.socketpair()
        stream = IOStream(a)
        try:
            conn = HTTP1Connection(stream, True)
            with pytest.raises(HTTPOutputError):
                conn.write_headers(start_line, HTTPHeaders(headers))
        finally:
            stream.close()
            b.close()
            await asyncio.sleep(0.01)

    asyncio.run(main())
