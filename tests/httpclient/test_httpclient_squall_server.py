"""The client against squall's own HTTPServer (skipped when squall-httpserver is absent)."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest

pytest.importorskip("squall.httpserver")

from squall.httpclient import AsyncHTTPClient
from squall.httpserver import HTTPServer
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.netutil import bind_sockets


def app(req: HTTPServerRequest) -> None:
    assert req.connection is not None
    body = f"{req.method} {req.uri} {len(req.body)}".encode()
    headers = HTTPHeaders({"Content-Length": str(len(body))})
    if req.path == "/gzip":
        body = gzip.compress(b"z" * 10000)
        headers = HTTPHeaders({"Content-Length": str(len(body)), "Content-Encoding": "gzip"})
    if req.path == "/redirect":
        body = b""
        headers = HTTPHeaders({"Location": "/target", "Content-Length": "0"})
        req.connection.write_headers(ResponseStartLine("HTTP/1.1", 307, "Temporary"), headers)
        req.connection.finish()
        return
    req.connection.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
    req.connection.finish()


def test_against_squall_httpserver() -> None:
    async def main() -> None:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(app)
        server.add_sockets(socks)
        client = AsyncHTTPClient(force_instance=True, max_clients=4)
        url = f"http://127.0.0.1:{port}"
        try:
            responses = await asyncio.gather(*(client.fetch(f"{url}/n{i}") for i in range(20)))
            assert [r.body for r in responses] == [f"GET /n{i} 0".encode() for i in range(20)]
            assert client._pool.idle_count() <= 4
            big = b"b" * 300_000

            async def producer(write: Any) -> None:
                for i in range(0, len(big), 65536):
                    await write(big[i : i + 65536])

            r = await client.fetch(f"{url}/up", method="POST", body_producer=producer)
            assert r.body == b"POST /up 300000"
            r = await client.fetch(f"{url}/up", method="PUT", body=big, expect_100_continue=True)
            assert r.body == b"PUT /up 300000"
            r = await client.fetch(f"{url}/gzip")
            assert r.body == b"z" * 10000
            r = await client.fetch(f"{url}/redirect", method="POST", body=b"keep")
            assert r.body == b"POST /target 4"  # 307 keeps the method and body
            r = await client.fetch(f"{url}/h", method="HEAD")
            assert r.code == 200 and r.body == b""
        finally:
            client.close()
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())
