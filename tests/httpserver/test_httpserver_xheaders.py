"""xheaders: X-Real-Ip, X-Forwarded-For, X-Scheme, X-Forwarded-Proto and RFC 7239 Forwarded."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.httpserver import HTTPServer
from squall.httpserver._forwarded import client_from_forwarded, parse_forwarded
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.netutil import bind_sockets


def parse(value: str) -> list[dict[str, str]] | None:
    return parse_forwarded(value)


FORWARDED_CASES = [
    # (header value, trusted, expected (ip, proto) or None) -- RFC 7239 §4 and §7 examples
    ('for="_gazonk"', (), (None, None)),
    ('For="[2001:db8:cafe::17]:4711"', (), ("2001:db8:cafe::17", None)),
    ("for=192.0.2.60;proto=http;by=203.0.113.43", (), ("192.0.2.60", "http")),
    ("for=192.0.2.43, for=198.51.100.17", (), ("198.51.100.17", None)),
    ("for=192.0.2.43, for=198.51.100.17", ("198.51.100.17",), ("192.0.2.43", None)),
    ('for=192.0.2.43;proto=HTTPS, for="[::1]";proto=http', ("::1",), ("192.0.2.43", "https")),
    ("for=unknown", (), (None, None)),
    ('for="192.0.2.43:8080"', (), ("192.0.2.43", None)),
    ('for="192.0.2.43:_port"', (), ("192.0.2.43", None)),
    ("for=192.0.2.43,,for=10.0.0.1", ("10.0.0.1",), ("192.0.2.43", None)),
    ('for="quoted\\"escape"', (), (None, None)),
    # Malformed: the header is ignored.
    ("for=192.0.2.43;for=10.0.0.1", (), None),
    ("for", (), None),
    ("for=a b", (), None),
    ('for="unterminated', (), None),
    ("=x", (), None),
    ("proto=https", (), None),
    ("", (), None),
    ("for=[::1]", (), None),  # brackets need quoting (not a token)
    ('for="[192.0.2.1]"', (), (None, None)),  # brackets are for IPv6 only
    ('for="2001:db8::1"', (), (None, None)),  # IPv6 must be bracketed
]


@pytest.mark.parametrize(("value", "trusted", "expected"), FORWARDED_CASES)
def test_client_from_forwarded(
    value: str, trusted: tuple[str, ...], expected: tuple[str | None, str | None] | None
) -> None:
    assert client_from_forwarded(value, set(trusted)) == expected


def test_parse_forwarded_elements() -> None:
    assert parse('for=a;proto=https;by="x y", for=b , ;host="h\\"x"') == [
        {"for": "a", "proto": "https", "by": "x y"},
        {"for": "b"},
        {"host": 'h"x'},
    ]


token = st.text(st.sampled_from("abcXYZ019_.-!#~"), min_size=1, max_size=8)
qtext = st.text(st.sampled_from('ab :[]\\";,='), max_size=8)


@given(
    st.lists(
        st.dictionaries(st.sampled_from(["for", "by", "proto", "host"]), qtext, min_size=1),
        min_size=1,
        max_size=5,
    )
)
def test_forwarded_round_trip(elements: list[dict[str, str]]) -> None:
    def quote(v: str) -> str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'

    text = ", ".join(";".join(f"{k}={quote(v)}" for k, v in e.items()) for e in elements)
    assert parse(text) == elements


@given(st.text(max_size=60), st.sets(st.sampled_from(["10.0.0.1", "::1"])))
def test_forwarded_never_raises(value: str, trusted: set[str]) -> None:
    result = client_from_forwarded(value, trusted)
    assert result is None or isinstance(result, tuple)


def test_forwarded_linear_time() -> None:
    import time

    value = "for=1.2.3.4;" * 5000 + "," + ('for="' + "\\a" * 20000 + '"')
    start = time.perf_counter()
    client_from_forwarded(value, set())
    client_from_forwarded("for=" + "a" * 60000 + " x", set())
    assert time.perf_counter() - start < 1.0


def whoami(req: HTTPServerRequest) -> None:
    assert req.connection is not None
    body = f"{req.remote_ip} {req.protocol}".encode()
    req.connection.write_headers(
        ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": str(len(body))})
    )
    req.connection.write(body)
    req.connection.finish()


XHEADER_CASES = [
    ({}, "127.0.0.1 http"),
    ({"X-Real-Ip": "4.4.4.4"}, "4.4.4.4 http"),
    ({"X-Real-Ip": "not-an-ip"}, "127.0.0.1 http"),
    ({"X-Forwarded-For": "1.1.1.1, 2.2.2.2"}, "2.2.2.2 http"),
    ({"X-Forwarded-For": "1.1.1.1, 2.2.2.2, 10.0.0.1"}, "2.2.2.2 http"),  # trusted hop skipped
    ({"X-Forwarded-For": "1.1.1.1, garbage"}, "127.0.0.1 http"),
    ({"X-Forwarded-For": "1.1.1.1", "X-Real-Ip": "3.3.3.3"}, "3.3.3.3 http"),
    ({"X-Scheme": "https"}, "127.0.0.1 https"),
    ({"X-Forwarded-Proto": "http, HTTPS"}, "127.0.0.1 https"),
    ({"X-Forwarded-Proto": "gopher"}, "127.0.0.1 http"),
    ({"Forwarded": 'for="[2001:db8::7]:99";proto=https'}, "2001:db8::7 https"),
    ({"Forwarded": "for=5.5.5.5, for=10.0.0.1;proto=https"}, "5.5.5.5 http"),
    ({"Forwarded": "for=_hidden;proto=https"}, "127.0.0.1 https"),
    ({"Forwarded": "for=5.5.5.5;;;for=6.6.6.6"}, "127.0.0.1 http"),  # malformed: ignored
    ({"Forwarded": "for=5.5.5.5", "X-Forwarded-For": "7.7.7.7"}, "7.7.7.7 http"),
    ({"Forwarded": "for=5.5.5.5;proto=https", "X-Forwarded-Proto": "http"}, "5.5.5.5 http"),
]


def test_xheaders_over_loopback() -> None:
    """Each request on one keep-alive connection sees only its own headers."""

    async def main() -> None:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(whoami, xheaders=True, trusted_downstream=["10.0.0.1"])
        server.add_sockets(socks)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for headers, expected in XHEADER_CASES:
                lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                writer.write(f"GET / HTTP/1.1\r\nHost: a\r\n{lines}\r\n".encode())
                await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(len(expected.encode()))
                assert (headers, body.decode()) == (headers, expected)
        finally:
            writer.close()
            await writer.wait_closed()
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())


def test_xheaders_off_by_default() -> None:
    async def main() -> None:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(whoami)
        server.add_sockets(socks)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"GET / HTTP/1.1\r\nHost: a\r\nX-Real-Ip: 4.4.4.4\r\nX-Scheme: https\r\n"
                b"Forwarded: for=5.5.5.5;proto=https\r\nConnection: close\r\n\r\n"
            )
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            await writer.wait_closed()
            assert data.endswith(b"\r\n\r\n127.0.0.1 http")
        finally:
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())
