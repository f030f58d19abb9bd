"""examples/resp_server.py served in-process over real loopback sockets.

The clients are plain asyncio streams (and redis-py's asyncio client when installed),
so nothing here drives the server with squall code.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from squall.netutil import bind_sockets

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resp_server.py"


def load_example() -> ModuleType:
    name = "resp_server_example"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


resp = load_example()
LIMITS = resp.Limits(max_array_length=16, max_bulk_length=100_000, max_inline_length=1024)
Client = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def serve(test: Callable[[int, Any], Awaitable[None]]) -> None:
    async def main() -> None:
        server = resp.RespServer(limits=LIMITS)
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        try:
            await asyncio.wait_for(test(sockets[0].getsockname()[1], server), timeout=10)
        finally:
            server.stop()
            await asyncio.sleep(0.01)  # let handlers see their streams close

    asyncio.run(main())


async def connect(port: int) -> Client:
    return await asyncio.open_connection("127.0.0.1", port)


async def close(client: Client) -> None:
    client[1].close()
    await client[1].wait_closed()


@pytest.fixture
def log_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    caplog.set_level(logging.DEBUG)
    return caplog.records


def assert_quiet_log(records: list[logging.LogRecord]) -> None:
    assert not [r for r in records if r.exc_info or r.levelno >= logging.WARNING]


def test_commands_and_pipelining(log_records: list[logging.LogRecord]) -> None:
    async def test(port: int, server: Any) -> None:
        reader, writer = client = await connect(port)
        writer.write(resp.encode_command(b"PING"))
        assert await reader.readexactly(7) == b"+PONG\r\n"
        # 200 pipelined commands in one write: 200 replies, in order.
        batch = [resp.encode_command(b"INCR", b"n") for _ in range(200)]
        writer.write(b"".join(batch) + resp.encode_command(b"GET", b"n"))
        expected = b"".join(b":%d\r\n" % i for i in range(1, 201)) + b"$3\r\n200\r\n"
        assert await reader.readexactly(len(expected)) == expected
        # Inline commands, and a request trickled one byte at a time.
        writer.write(b"ECHO  hi\r\n\r\nEXISTS n x n\r\n")
        assert await reader.readexactly(12) == b"$2\r\nhi\r\n:2\r\n"
        for byte in resp.encode_command(b"SET", b"k", b"v" * 10, b"EX", b"100"):
            writer.write(bytes([byte]))
            await writer.drain()
        assert await reader.readexactly(5) == b"+OK\r\n"
        assert server.store.data[b"k"] == b"v" * 10
        # A value at the bulk limit, binary-safe.
        big = bytes(range(256)) * 390 + b"\r\n" * 80
        assert len(big) == LIMITS.max_bulk_length
        writer.write(
            resp.encode_command(b"SET", b"big", big) + resp.encode_command(b"GET", b"big")
        )
        assert await reader.readexactly(5) == b"+OK\r\n"
        assert await reader.readexactly(len(resp.bulk(big))) == resp.bulk(big)
        await close(client)

    serve(test)
    assert_quiet_log(log_records)


@pytest.mark.parametrize(
    ("request_bytes", "reply"),
    [
        (b"*1\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
        (b"*17\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*-2\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$100001\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (
            b"*1\r\n$3\r\nPINGPONG",
            b"-ERR Protocol error: expected CRLF after bulk string data\r\n",
        ),
        (
            b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n",
            b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
        ),
    ],
)
def test_malformed_resp_gets_an_error_then_a_close(
    request_bytes: bytes, reply: bytes, log_records: list[logging.LogRecord]
) -> None:
    async def test(port: int, server: Any) -> None:
        reader, writer = client = await connect(port)
        writer.write(request_bytes)
        assert await reader.read() == reply  # read() returns at EOF: the server closed
        await close(client)
        # The server keeps serving other connections.
        reader, writer = client = await connect(port)
        writer.write(b"PING\r\n")
        assert await reader.readexactly(7) == b"+PONG\r\n"
        await close(client)

    serve(test)
    assert_quiet_log(log_records)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"P" * 2000,  # an inline line over max_inline_length
        b"*1\r\n$" + b"1" * 40,  # a bulk length line that never ends
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\r\n",
        bytes(range(256)) * 8,
    ],
)
def test_hostile_bytes_close_the_connection(
    request_bytes: bytes, log_records: list[logging.LogRecord]
) -> None:
    async def test(port: int, server: Any) -> None:
        reader, writer = client = await connect(port)
        writer.write(request_bytes)
        try:
            data = await reader.read()
        except ConnectionResetError:
            data = b""  # closed with our bytes unread: a reset is a close too
        assert data == b"" or data.startswith(b"-ERR")
        await close(client)

    serve(test)
    assert_quiet_log(log_records)


def test_a_client_that_never_reads_is_paused_not_buffered() -> None:
    """Pipelined requests from a client that never reads replies: the server stops reading."""

    async def test(port: int, server: Any) -> None:
        _, writer = await connect(port)
        request = resp.encode_command(b"ECHO", b"x" * 65536)
        sent = 0
        for _ in range(2000):  # offer 128 MiB of requests (and as many replies)
            writer.write(request)
            try:
                await asyncio.wait_for(writer.drain(), timeout=0.2)
            except TimeoutError:
                break  # the server stopped reading: backpressure reached the client
            sent += 1
        # What was accepted fits in kernel buffers plus the server's bounded buffers.
        assert sent < 500
        writer.transport.abort()  # our unsent data would keep a graceful close waiting

    serve(test)


def test_redis_py_asyncio_client() -> None:
    redis_asyncio = pytest.importorskip("redis.asyncio")

    async def test(port: int, server: Any) -> None:
        # redis-py >= 8 speaks RESP3 unless told otherwise; the example speaks RESP2.
        client = redis_asyncio.Redis(host="127.0.0.1", port=port, protocol=2)
        try:
            assert await client.ping() is True
            assert await client.set("greeting", "hello", ex=60) is True
            assert await client.get("greeting") == b"hello"
            assert await client.incr("counter") == 1
            assert await client.exists("greeting", "counter", "nope") == 2
            async with client.pipeline(transaction=False) as pipe:
                for _ in range(50):
                    pipe.incr("counter")
                results = await pipe.execute()
            assert results == list(range(2, 52))
            assert await client.delete("greeting", "counter") == 2
            assert await client.get("greeting") is None
        finally:
            await client.aclose()

    serve(test)
