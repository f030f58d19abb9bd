"""Conformance suite for every request parser behind ``RequestParserAPI``.

Parametrised over ``PARSER_FACTORIES`` (only the pure-Python parser today): an
httptools/llhttp parser added later must pass exactly these tests. The hostile
inputs come from the fuzz seed corpus, whose file names carry the expected
outcome (``good-*`` parses, ``bad-<status>-*`` fails with that status).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from squall.http1connection import HTTPParseError
from squall.http1connection._parser_api import PARSER_FACTORIES, RequestParserAPI
from squall.httputil import HTTPHeaders, RequestStartLine

CORPUS = Path(__file__).resolve().parents[2] / "fuzz" / "corpus"
CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.fixture(params=sorted(PARSER_FACTORIES))
def make(request: pytest.FixtureRequest) -> object:
    factory = PARSER_FACTORIES[request.param]
    return lambda: factory(8 * 1024, 64 * 1024, 100)


Message = tuple[RequestStartLine, HTTPHeaders, bytes]


def parse(parser: RequestParserAPI, pieces: list[bytes]) -> list[Message]:
    messages: list[Message] = []
    current: tuple[RequestStartLine, HTTPHeaders] | None = None
    body = b""
    for piece in pieces:
        parser.feed(piece)
        while True:
            if current is None:
                current = parser.next_head()
                if current is None:
                    break
                body = b""
            data, done = parser.read_body(1000)
            body += data
            if done:
                messages.append((*current, body))
                current = None
            elif not data:
                break
    return messages


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def cases(corpus: str, prefix: bytes = b"") -> list[tuple[str, bytes, int | None]]:
    out = []
    for path in sorted((CORPUS / corpus).glob("*.http")):
        kind, _, rest = path.stem.partition("-")
        code = None if kind == "good" else int(rest.split("-")[0])
        out.append((f"{corpus}/{path.stem}", prefix + path.read_bytes(), code))
    return out


ALL_CASES = cases("request_parser") + cases("chunked", CHUNKED_HEAD)


@pytest.mark.parametrize(("name", "wire", "code"), ALL_CASES, ids=[c[0] for c in ALL_CASES])
@pytest.mark.parametrize("piece", [None, 1, 97])
def test_corpus_outcomes(
    make: object, name: str, wire: bytes, code: int | None, piece: int | None
) -> None:
    assert callable(make)
    if piece == 1 and len(wire) > 4096:
        piece = 1021  # keep the byte-by-byte runs short; linearity is tested below
    pieces = [wire] if piece is None else split(wire, piece)
    parser: RequestParserAPI = make()
    if code is None:
        messages = parse(parser, pieces)
        assert messages, name
        assert parser.heads == len(messages)
        assert parser.buffered == 0
    else:
        with pytest.raises(HTTPParseError) as info:
            parse(parser, pieces)
        assert info.value.code == code, name


def test_content_length_heads_and_take_buffered(make: object) -> None:
    assert callable(make)
    parser: RequestParserAPI = make()
    assert parser.heads == 0
    parser.feed(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nab")
    head = parser.next_head()
    assert head is not None
    start, headers = head
    assert (start.method, start.path, start.version) == ("POST", "/a", "HTTP/1.1")
    assert headers["Host"] == "h"
    assert parser.content_length == 3
    assert parser.heads == 1
    assert parser.buffered == 2
    assert parser.take_buffered() == b"ab"
    assert parser.buffered == 0
    assert parser.read_body(10) == (b"", False)
    parser.feed(b"abc")  # the taken bytes are gone: the body is still 3 bytes away
    assert parser.read_body(10) == (b"abc", True)


def test_chunked_content_length_is_none(make: object) -> None:
    assert callable(make)
    parser: RequestParserAPI = make()
    parser.feed(CHUNKED_HEAD + b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parser.next_head() is not None
    assert parser.content_length is None
    assert parser.read_body(2) == (b"ab", False)
    assert parser.read_body(2) == (b"c", False)
    assert parser.read_body(2) == (b"", True)
    assert parser.next_head() is not None
    assert length_of(parser) == 0
    assert parser.read_body(2) == (b"", True)
    assert parser.heads == 2


def length_of(parser: RequestParserAPI) -> int | None:
    return parser.content_length


def test_one_byte_at_a_time_is_linear(make: object) -> None:
    assert callable(make)
    head = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Long: " + b"a" * 60000 + b"\r\n\r\n"
    parser: RequestParserAPI = make()
    start = time.perf_counter()
    result = None
    for i in range(len(head)):
        parser.feed(head[i : i + 1])
        result = parser.next_head()
    assert result is not None
    assert time.perf_counter() - start < 2.0
