"""SimpleAsyncHTTPClient against raw servers written here: framing, limits, timeouts, safety."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import pytest

from squall.httpclient import (
    AsyncHTTPClient,
    HTTPClientError,
    HTTPRequest,
    HTTPStreamClosedError,
    HTTPTimeoutError,
)


def client(**kwargs: Any) -> AsyncHTTPClient:
    c: AsyncHTTPClient = AsyncHTTPClient(force_instance=True, **kwargs)
    return c


def canned(response: bytes, *, keep: bool = False) -> Any:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await writer.drain()
        if keep:
            await reader.read()

    return handler


def fetch_canned(h: Any, response: bytes, **kwargs: Any) -> Any:
    async def main() -> Any:
        async with h.raw_server(canned(response)) as port:
            c = client()
            try:
                return await c.fetch(f"http://127.0.0.1:{port}/", **kwargs)
            finally:
                c.close()

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2;x=y\r\nhe\r\n3\r\nllo\r\n0\r\nTrailer-Field: 1\r\n\r\n",
            b"hello",
        ),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil close", b"until close"),
        (b"HTTP/1.1 200 OK\r\n\r\nclose delimited", b"close delimited"),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b""),
        (
            b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"ok",
        ),
    ],
)
def test_response_framing(h: Any, wire: bytes, body: bytes) -> None:
    response = fetch_canned(h, wire)
    assert response.body == body
    assert response.code in (200, 204)


@pytest.mark.parametrize(
    "wire",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_malformed_responses_raise_typed_errors(h: Any, wire: bytes) -> None:
    with pytest.raises(HTTPClientError) as info:
        fetch_canned(h, wire)
    assert info.value.code == 599


def test_nothing_received_is_stream_closed(h: Any) -> None:
    with pytest.raises(HTTPStreamClosedError):
        fetch_canned(h, b"")


def test_body_larger_than_advertised_is_not_read_as_next_response(h: Any) -> None:
    async def main() -> None:
        connections = 0

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n")
                await writer.drain()

        async with h.raw_server(handler) as port:
            c = client()
            try:
                for _ in range(2):
                    response = await c.fetch(f"http://127.0.0.1:{port}/")
                    assert response.body == b"ok"
            finally:
                c.close()
        assert connections == 2  # the polluted connection was not reused

    asyncio.run(main())


def test_endless_headers_hit_max_header_size(h: Any) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(100_000):
            writer.write(b"X-Filler-%d: %s\r\n" % (i, b"a" * 100))
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client(max_header_size=16 * 1024)
            try:
                with pytest.raises(HTTPClientError, match="too large"):
                    await c.fetch(f"http://127.0.0.1:{port}/", request_timeout=5)
            finally:
                c.close()

    asyncio.run(main())


def test_max_body_size_content_length_and_chunked(h: Any) -> None:
    async def main() -> None:
        big = b"x" * 5000
        for wire in (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + big,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n"
            + big
            + b"\r\n0\r\n\r\n",
            b"HTTP/1.0 200 OK\r\n\r\n" + big,
        ):
            async with h.raw_server(canned(wire)) as port:
                c = client(max_body_size=4096)
                try:
                    with pytest.raises(HTTPClientError, match=r"max_body_size|too long"):
                        await c.fetch(f"http://127.0.0.1:{port}/")
                finally:
                    c.close()

    asyncio.run(main())


def test_gzip_bomb_is_capped_on_decompressed_size(h: Any) -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # ~50 KiB on the wire
    wire = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
        + bomb
    )

    async def main() -> None:
        async with h.raw_server(canned(wire)) as port:
            c = client(max_body_size=1024 * 1024)
            try:
                with pytest.raises(HTTPClientError, match="decompressed"):
                    await c.fetch(f"http://127.0.0.1:{port}/")
            finally:
                c.close()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_decompression(h: Any, encoding: str, compress: Any) -> None:
    data = b"squall " * 1000
    payload = compress(data)
    wire = (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n"
        % (encoding.encode(), len(payload))
        + payload
    )
    response = fetch_canned(h, wire)
    assert response.body == data
    assert response.headers["X-Consumed-Content-Encoding"] == encoding
    assert "Content-Encoding" not in response.headers
    raw = fetch_canned(h, wire, decompress_response=False)
    assert raw.body == payload


def test_request_timeout_fires_when_server_stalls_mid_body(h: Any) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        await reader.read()  # stall until the client gives up

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client()
            try:
                loop = asyncio.get_running_loop()
                start = loop.time()
                with pytest.raises(HTTPTimeoutError, match="during request"):
                    await c.fetch(f"http://127.0.0.1:{port}/", request_timeout=0.3)
                assert 0.25 < loop.time() - start < 2
            finally:
                c.close()

    asyncio.run(main())


def test_queue_timeout_beyond_max_clients(h: Any) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(0.5)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client(max_clients=1)
            try:
                url = f"http://127.0.0.1:{port}/"
                first = c.fetch(url)
                second = c.fetch(url, request_timeout=0.1)
                with pytest.raises(HTTPTimeoutError, match="in request queue"):
                    await second
                assert (await first).code == 200
            finally:
                c.close()

    asyncio.run(main())


def test_connect_refused_raises_oserror() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        c = client()
        try:
            with pytest.raises(OSError):
                await c.fetch(f"http://127.0.0.1:{port}/", raise_error=False)
        finally:
            c.close()

    asyncio.run(main())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": "http://127.0.0.1:1/a\r\nX: y"},
        {"url": "http://127.0.0.1:1/a b"},
        {"url": "http://127.0.0.1:1/\x00"},
        {"url": "http://127.0.0.1:1/", "method": "GET\r\nX"},
        {"url": "http://127.0.0.1:1/", "headers": {"X-A": "b\r\nInjected: 1"}},
        {"url": "http://127.0.0.1:1/", "headers": {"X-A": "b\nc"}},
        {"url": "http://127.0.0.1:1/", "headers": {"X-A": "b\x00"}},
        {"url": "http://127.0.0.1:1/", "headers": {"Bad Name": "b"}},
        {"url": "ftp://127.0.0.1/"},
        {"url": "http://127.0.0.1:1/", "method": "POST"},
        {"url": "http://127.0.0.1:1/", "body": b"x"},
        {
            "url": "http://127.0.0.1:1/",
            "proxy_host": "127.0.0.1",
            "proxy_port": 3128,
            "proxy_auth_mode": "ntlm",
        },
    ],
)
def test_unsafe_or_invalid_requests_raise_value_error_before_sending(kwargs: Any) -> None:
    # Port 1 is never contacted: the checks run before connecting.
    async def main() -> None:
        c = client()
        try:
            with pytest.raises(ValueError):
                await c.fetch(HTTPRequest(**kwargs))
        finally:
            c.close()

    asyncio.run(main())


def test_redirect_loop_stops_at_max_redirects(h: Any) -> None:
    count = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count
        while True:
            await reader.readuntil(b"\r\n\r\n")
            count += 1
            writer.write(
                b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 4\r\n\r\nloop"
            )
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client()
            try:
                with pytest.raises(HTTPClientError) as info:
                    await c.fetch(f"http://127.0.0.1:{port}/", max_redirects=3)
                assert info.value.code == 302
                response = await c.fetch(f"http://127.0.0.1:{port}/", raise_error=False)
                assert response.code == 302 and response.body == b"loop"
            finally:
                c.close()

    asyncio.run(main())
    assert count == 4 + 6


def test_cross_origin_redirect_drops_credentials(h: Any) -> None:
    seen: list[dict[str, str]] = []

    async def evil(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _line, headers, _body = await h.read_request(reader)
        seen.append(headers)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstolen")
        await writer.drain()

    async def main() -> None:
        async with h.raw_server(evil) as evil_port:

            async def origin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                while True:
                    line, headers, _body = await h.read_request(reader)
                    seen.append(headers)
                    if line.startswith(b"GET /same"):
                        location = f"http://127.0.0.1:{evil_port}/x"
                    else:
                        location = "/same"
                    writer.write(
                        f"HTTP/1.1 302 Found\r\nLocation: {location}\r\n"
                        "Content-Length: 0\r\n\r\n".encode()
                    )
                    await writer.drain()

            async with h.raw_server(origin) as port:
                c = client()
                try:
                    response = await c.fetch(
                        f"http://127.0.0.1:{port}/start",
                        auth_username="user",
                        auth_password="secret",
                        headers={"Cookie": "session=1", "X-Other": "kept"},
                    )
                finally:
                    c.close()
                assert response.body == b"stolen"

    asyncio.run(main())
    assert len(seen) == 3
    assert "authorization" in seen[0] and "cookie" in seen[0]
    assert "authorization" in seen[1] and "cookie" in seen[1]  # same origin: kept
    assert "authorization" not in seen[2] and "cookie" not in seen[2]
    assert seen[2]["x-other"] == "kept"


def test_post_redirect_becomes_get_without_body(h: Any) -> None:
    requests: list[tuple[bytes, dict[str, str], bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            req = await h.read_request(reader)
            requests.append(req)
            if req[0].startswith(b"POST"):
                writer.write(
                    b"HTTP/1.1 303 See Other\r\nLocation: /done\r\nContent-Length: 0\r\n\r\n"
                )
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client()
            try:
                response = await c.fetch(
                    f"http://127.0.0.1:{port}/form", method="POST", body="a=1"
                )
            finally:
                c.close()
            assert response.body == b"done"
            assert response.effective_url.endswith("/done")
            assert response.request.url.endswith("/form")

    asyncio.run(main())
    assert requests[0][2] == b"a=1"
    assert requests[1][0] == b"GET /done HTTP/1.1"
    assert "content-length" not in requests[1][1] and "content-type" not in requests[1][1]


def test_https_to_http_redirect_is_refused() -> None:
    from squall.simple_httpclient._client import _redirect_decision

    decision: dict[str, Any] = {}
    assert not _redirect_decision("https://a.example/", "http://a.example/x", decision)
    assert "https to http" in decision["refused"]
    assert _redirect_decision("http://a.example/", "https://a.example/x", {})


def test_keep_alive_reuses_connections_and_retries_stale_ones(h: Any) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        for _ in range(2):  # then close: the client's third request must retry
            await h.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client()
            try:
                for _ in range(5):
                    assert (await c.fetch(f"http://127.0.0.1:{port}/")).body == b"ok"
            finally:
                c.close()

    asyncio.run(main())
    assert connections == 3


def test_idle_pooled_connection_closed_after_idle_timeout(h: Any) -> None:
    async def main() -> None:
        closed = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await h.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            assert await reader.read() == b""
            closed.set()

        async with h.raw_server(handler) as port:
            c = client(idle_connection_timeout=0.1)
            try:
                await c.fetch(f"http://127.0.0.1:{port}/")
                await asyncio.wait_for(closed.wait(), 2)
            finally:
                c.close()

    asyncio.run(main())


def test_streaming_and_header_callbacks(h: Any) -> None:
    chunks: list[bytes] = []
    lines: list[str] = []
    wire = b"HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 5\r\n\r\nhello"
    response = fetch_canned(
        h, wire, streaming_callback=chunks.append, header_callback=lines.append
    )
    assert b"".join(chunks) == b"hello"
    assert response.body == b""
    assert lines[0] == "HTTP/1.1 200 OK\r\n" and "X-A: b\r\n" in lines and lines[-1] == "\r\n"


def test_expect_100_continue_and_body_producer(h: Any) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"Expect: 100-continue" in head
        assert b"Transfer-Encoding: chunked" in head
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if not size:
                break
            body += data[:-2]
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    async def producer(write: Any) -> None:
        await write(b"part1,")
        await write(b"part2")

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client()
            try:
                response = await c.fetch(
                    f"http://127.0.0.1:{port}/",
                    method="PUT",
                    body_producer=producer,
                    expect_100_continue=True,
                )
            finally:
                c.close()
            assert response.body == b"part1,part2"

    asyncio.run(main())


def test_default_headers_user_agent_and_if_modified_since(h: Any) -> None:
    seen: list[dict[str, str]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _line, headers, _body = await h.read_request(reader)
        seen.append(headers)
        writer.write(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        async with h.raw_server(handler) as port:
            c = client()
            try:
                response = await c.fetch(
                    f"http://127.0.0.1:{port}/", if_modified_since=86400.0, raise_error=False
                )
                assert response.code == 304 and response.body == b""
            finally:
                c.close()

    asyncio.run(main())
    from squall.simple_httpclient import version

    assert seen[0]["user-agent"] == f"squall/{version}"
    assert seen[0]["if-modified-since"] == "Fri, 02 Jan 1970 00:00:00 GMT"
    assert seen[0]["host"].startswith("127.0.0.1:")
    assert seen[0]["accept-encoding"] == "gzip, deflate"
