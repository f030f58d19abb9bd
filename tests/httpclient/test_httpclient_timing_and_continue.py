"""``HTTPResponse.time_info`` and ``Expect: 100-continue`` against servers that ignore it."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from squall.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from squall.httpclient._request import _RequestProxy
from squall.simple_httpclient import _exchange

# -- time_info ---------------------------------------------------------------------------


def test_time_info_phases_are_ordered(h: Any) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line, _headers, _body = await h.read_request(reader)
            if line.startswith(b"GET /a "):
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            await asyncio.sleep(0.1)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(slow) as port:
            client = AsyncHTTPClient(force_instance=True)
            response = await client.fetch(f"http://127.0.0.1:{port}/a")
            client.close()
        info = response.time_info
        assert set(info) == {"queue", "redirect", "connect", "starttransfer", "total"}
        assert info["queue"] == 0.0
        assert 0.0 < info["redirect"] <= info["connect"] <= info["starttransfer"]
        assert info["starttransfer"] - info["connect"] >= 0.09  # the server's delay
        assert info["starttransfer"] <= info["total"] == response.request_time

    asyncio.run(main())


def test_time_info_queue_is_the_wait_for_a_slot(h: Any) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await h.read_request(reader)
            await asyncio.sleep(0.2)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(slow) as port:
            client = AsyncHTTPClient(force_instance=True, max_clients=1)
            url = f"http://127.0.0.1:{port}/"
            first, second = await asyncio.gather(client.fetch(url), client.fetch(url))
            client.close()
        assert first.time_info["queue"] == 0.0
        assert second.time_info["queue"] >= 0.15
        # request_time excludes the queue (Tornado 5.1+).
        assert second.request_time < second.time_info["queue"] + 0.2 + 0.5

    asyncio.run(main())


def test_time_info_of_a_failed_request() -> None:
    async def main() -> None:
        client = AsyncHTTPClient(force_instance=True)
        done: asyncio.Future[HTTPResponse] = asyncio.get_running_loop().create_future()
        # fetch() raises for a 599 (Tornado 6): look at the response fetch_impl made.
        request = _RequestProxy(HTTPRequest("http://127.0.0.1:1/"), client.defaults)
        client.fetch_impl(request, done.set_result)
        response = await done
        client.close()
        assert response.code == 599
        assert set(response.time_info) == {"queue", "total"}
        assert response.time_info["total"] == response.request_time

    asyncio.run(main())


# -- Expect: 100-continue -------------------------------------------------------------------


class _IgnoresExpect(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0 handlers do not answer Expect (http.server only does for HTTP/1.1).
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.upper())


@pytest.fixture
def ignores_expect() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _IgnoresExpect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_expect_100_body_sent_anyway_after_a_second(ignores_expect: int) -> None:
    async def main() -> None:
        client = AsyncHTTPClient(force_instance=True)
        loop = asyncio.get_running_loop()
        start = loop.time()
        response = await client.fetch(
            f"http://127.0.0.1:{ignores_expect}/",
            method="PUT",
            body=b"payload",
            expect_100_continue=True,
            request_timeout=10,
        )
        elapsed = loop.time() - start
        client.close()
        assert response.body == b"PAYLOAD"
        assert _exchange.CONTINUE_TIMEOUT - 0.05 <= elapsed < 5

    asyncio.run(main())


def test_expect_100_final_response_before_the_timer_skips_the_body(h: Any) -> None:
    received: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        received.append(await reader.read())  # until the client closes

    async def main() -> None:
        async with h.raw_server(refuse) as port:
            client = AsyncHTTPClient(force_instance=True)
            with pytest.raises(HTTPClientError) as info:
                await client.fetch(
                    f"http://127.0.0.1:{port}/",
                    method="PUT",
                    body=b"never sent",
                    expect_100_continue=True,
                )
            assert info.value.code == 417
            await asyncio.sleep(_exchange.CONTINUE_TIMEOUT + 0.2)
            client.close()
        assert received == [b""]

    asyncio.run(main())


def test_expect_100_failing_body_producer_after_the_timer_is_reported(
    h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_exchange, "CONTINUE_TIMEOUT", 0.05)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def producer(write: Any) -> None:
        await write(b"part")
        raise RuntimeError("producer failed")

    async def main() -> None:
        async with h.raw_server(silent) as port:
            client = AsyncHTTPClient(force_instance=True)
            with pytest.raises(RuntimeError, match="producer failed"):
                await client.fetch(
                    f"http://127.0.0.1:{port}/",
                    method="PUT",
                    body_producer=producer,
                    expect_100_continue=True,
                    request_timeout=5,
                )
            client.close()

    asyncio.run(main())


def test_time_info_of_a_request_that_timed_out_in_the_queue(h: Any) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await h.read_request(reader)
        await asyncio.sleep(0.5)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        async with h.raw_server(slow) as port:
            client = AsyncHTTPClient(force_instance=True, max_clients=1)
            url = f"http://127.0.0.1:{port}/"
            first = client.fetch(url)
            done: asyncio.Future[HTTPResponse] = asyncio.get_running_loop().create_future()
            request = _RequestProxy(HTTPRequest(url, request_timeout=0.1), client.defaults)
            client.fetch_impl(request, done.set_result)
            response = await done
            assert response.code == 599
            assert set(response.time_info) == {"queue"}
            assert response.time_info["queue"] >= 0.09
            await first
            client.close()

    asyncio.run(main())
