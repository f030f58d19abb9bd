"""HTTPServer: graceful shutdown, shutdown hooks, connection cap, Unix sockets and TLS."""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
import time
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.netutil import bind_sockets, bind_unix_socket


def answer(req: HTTPServerRequest, body: bytes) -> None:
    assert req.connection is not None
    req.connection.write_headers(
        ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": str(len(body))})
    )
    req.connection.write(body)
    req.connection.finish()


def slow_or_fast(req: HTTPServerRequest) -> None:
    """``/slow?s=N`` answers after N seconds; anything else at once."""
    if req.path == "/slow":
        delay = float(req.query_arguments["s"][0])
        asyncio.get_running_loop().call_later(delay, answer, req, b"slow done")
    else:
        answer(req, b"fast")


async def start(callback: Any = slow_or_fast, **kwargs: Any) -> tuple[HTTPServer, int]:
    socks = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(callback, **kwargs)
    server.add_sockets(socks)
    return server, socks[0].getsockname()[1]


async def get(
    port: int, path: str = "/", extra: bytes = b""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n" + extra + b"\r\n")
    return reader, writer


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


def test_graceful_shutdown_finishes_in_flight_and_closes_idle() -> None:
    async def main() -> None:
        server, port = await start()
        idle_r, idle_w = await get(port)
        assert (await idle_r.readuntil(b"fast")).startswith(b"HTTP/1.1 200")
        busy_r, busy_w = await get(port, "/slow?s=0.3")
        await asyncio.sleep(0.05)  # the slow request is in progress
        assert server.connection_count == 2
        server.stop()
        started = time.monotonic()
        closing = asyncio.ensure_future(server.close_all_connections(timeout=5))
        # The idle keep-alive connection is closed at once...
        assert await asyncio.wait_for(idle_r.read(), 0.2) == b""
        assert not closing.done()
        # ...the request in progress is answered, with Connection: close.
        response = await asyncio.wait_for(busy_r.read(), 2)
        assert response.startswith(b"HTTP/1.1 200")
        assert b"Connection: close\r\n" in response
        assert response.endswith(b"slow done")
        await asyncio.wait_for(closing, 1)
        assert 0.2 < time.monotonic() - started < 1.5
        assert server.connection_count == 0
        await close(idle_w)
        await close(busy_w)

    asyncio.run(main())


def test_graceful_shutdown_deadline_cuts_slow_requests() -> None:
    async def main() -> None:
        server, port = await start()
        reader, writer = await get(port, "/slow?s=30")
        await asyncio.sleep(0.05)
        server.stop()
        started = time.monotonic()
        await server.close_all_connections(timeout=0.3)
        assert 0.25 < time.monotonic() - started < 1.5
        assert await asyncio.wait_for(reader.read(), 1) == b""
        await close(writer)

    asyncio.run(main())


def test_close_all_connections_without_timeout_is_immediate() -> None:
    async def main() -> None:
        server, port = await start()
        reader, writer = await get(port, "/slow?s=30")
        await asyncio.sleep(0.05)
        server.stop()
        started = time.monotonic()
        await server.close_all_connections()
        assert time.monotonic() - started < 0.5
        assert await asyncio.wait_for(reader.read(), 1) == b""
        await close(writer)

    asyncio.run(main())


def test_shutdown_hooks_run_with_the_grace_period() -> None:
    async def main() -> None:
        server, _port = await start()
        calls: list[Any] = []

        def sync_hook(timeout: float | None) -> None:
            calls.append(("sync", timeout))

        async def async_hook(timeout: float | None) -> None:
            await asyncio.sleep(0.1)
            calls.append(("async", timeout))

        async def stuck_hook(timeout: float | None) -> None:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                calls.append(("cancelled", timeout))
                raise

        def bad_hook(timeout: float | None) -> None:
            raise RuntimeError("boom")

        def removed(timeout: float | None) -> None:
            calls.append(("removed", timeout))

        for hook in (bad_hook, sync_hook, async_hook, stuck_hook, removed):
            server.add_shutdown_hook(hook)
        server.remove_shutdown_hook(removed)
        server.stop()
        started = time.monotonic()
        await server.close_all_connections(timeout=0.5)
        assert time.monotonic() - started < 1.5
        assert calls == [("sync", 0.5), ("async", 0.5), ("cancelled", 0.5)]
        # Without a timeout (Tornado's immediate close) hooks still run, told 0.0.
        calls.clear()
        server.remove_shutdown_hook(stuck_hook)
        await server.close_all_connections()
        assert calls == [("sync", 0.0), ("async", 0.0)]

    asyncio.run(main())


def test_new_requests_on_a_draining_connection_are_not_read() -> None:
    """A request pipelined behind the one in progress is not served during shutdown."""

    async def main() -> None:
        server, port = await start()
        reader, writer = await get(port, "/slow?s=0.2")
        writer.write(b"GET /second HTTP/1.1\r\nHost: a\r\n\r\n")
        await asyncio.sleep(0.05)
        server.stop()
        await server.close_all_connections(timeout=3)
        data = await asyncio.wait_for(reader.read(), 1)
        assert data.count(b"HTTP/1.1 200") == 1
        assert data.endswith(b"slow done")
        await close(writer)

    asyncio.run(main())


def test_max_connections_cap() -> None:
    async def main() -> None:
        server, port = await start(max_connections=2)
        conns = [await get(port) for _ in range(2)]
        for reader, _ in conns:
            await reader.readuntil(b"fast")
        reader, writer = await get(port)
        rejected = await asyncio.wait_for(reader.read(), 2)
        assert rejected.startswith(b"HTTP/1.1 503 ")
        assert b"Retry-After: 1\r\n" in rejected
        await close(writer)
        # Once a connection goes away there is room again.
        await close(conns[0][1])
        for _ in range(50):
            if server.connection_count < 2:
                break
            await asyncio.sleep(0.01)
        reader, writer = await get(port)
        assert (await asyncio.wait_for(reader.readuntil(b"fast"), 2)).startswith(b"HTTP/1.1 200")
        await close(writer)
        await close(conns[1][1])
        server.stop()
        await server.close_all_connections()
        with pytest.raises(ValueError, match="max_connections"):
            HTTPServer(slow_or_fast, max_connections=0)

    asyncio.run(main())


def test_unix_socket() -> None:
    def who(req: HTTPServerRequest) -> None:
        answer(req, f"{req.remote_ip} {req.protocol} {req.host}".encode())

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "squall.sock")
            server = HTTPServer(who, xheaders=True)
            server.add_socket(bind_unix_socket(path))
            try:
                reader, writer = await asyncio.open_unix_connection(path)
                writer.write(b"GET / HTTP/1.1\r\nHost: unix\r\n\r\n")
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200")
                assert await reader.readexactly(len(b"0.0.0.0 http unix")) == b"0.0.0.0 http unix"
                # Behind a proxy on a Unix socket, xheaders still apply.
                writer.write(b"GET / HTTP/1.1\r\nHost: unix\r\nX-Real-Ip: 9.9.9.9\r\n\r\n")
                await reader.readuntil(b"\r\n\r\n")
                assert await reader.readexactly(len(b"9.9.9.9 http unix")) == b"9.9.9.9 http unix"
                await close(writer)
            finally:
                server.stop()
                await server.close_all_connections()

    asyncio.run(main())


def test_tls_protocol_and_client_certificate() -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    ca.configure_trust(server_ctx)
    server_ctx.verify_mode = ssl.CERT_OPTIONAL
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    ca.issue_cert("client@example.org").configure_cert(client_ctx)
    plain_client = ssl.create_default_context()
    ca.configure_trust(plain_client)

    def who(req: HTTPServerRequest) -> None:
        cert = req.get_ssl_certificate()
        der = req.get_ssl_certificate(binary_form=True)
        subject = ""
        if isinstance(cert, dict):
            subject = repr(cert.get("subjectAltName"))
        answer(req, f"{req.protocol} {req.full_url()} {subject} {type(der).__name__}".encode())

    async def main() -> None:
        server, port = await start(who, ssl_options=server_ctx)
        try:
            for ctx, expected in (
                (client_ctx, b"client@example.org"),
                (plain_client, b" NoneType"),
            ):
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
                )
                writer.write(b"GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = await asyncio.wait_for(reader.read(), 5)
                assert data.startswith(b"HTTP/1.1 200")
                assert b"https https://localhost/x" in data
                assert expected in data
                await close(writer)
        finally:
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())
