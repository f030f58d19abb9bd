"""The squall-internal data hook of BaseIOStream (``_set_data_hook``, ``_read_buffered``).

The HTTP/1.1 server answers small requests inside the transport's callback
through this hook; these tests pin the semantics it relies on, over real
loopback sockets: the hook sees every byte when no read is pending, may consume
part of the buffer, loses to a pending read, closes the stream when it raises,
and does not disable read backpressure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from squall_test_support import run_async, tcp_pair

from squall.iostream import BaseIOStream, IOStream, StreamClosedError


async def wait_for(predicate: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)


def _paused(stream: IOStream) -> bool:
    """Read afresh (a function call, so mypy does not keep the narrowed value)."""
    return stream._read_paused


async def open_pair(**kwargs: int) -> tuple[IOStream, socket.socket]:
    server, client = tcp_pair()
    stream = IOStream(server, **kwargs)
    await asyncio.sleep(0)
    return stream, client


@run_async
async def test_hook_sees_all_data_and_consumes_whole_chunks() -> None:
    stream, client = await open_pair()
    seen: list[bytes] = []

    def hook(s: BaseIOStream) -> None:
        seen.append(s._read_buffered())

    stream._set_data_hook(hook)
    with client:
        for part in (b"abc", b"defg", b"h" * 10000):
            client.sendall(part)
            await wait_for(lambda: stream._buffered_size() == 0 and seen)
        await wait_for(lambda: b"".join(seen) == b"abcdefg" + b"h" * 10000)
        assert stream._buffered_size() == 0
    stream.close()


@run_async
async def test_hook_consuming_partially_leaves_the_rest_for_a_read() -> None:
    stream, client = await open_pair()
    taken: list[bytes] = []

    def hook(s: BaseIOStream) -> None:
        taken.append(s._read_buffered(3))

    stream._set_data_hook(hook)
    with client:
        client.sendall(b"0123456789")
        await wait_for(lambda: bool(taken))
        assert taken == [b"012"]
        stream._set_data_hook(None)
        assert await stream.read_bytes(7) == b"3456789"
    stream.close()


@run_async
async def test_hook_consuming_nothing_keeps_data_for_the_next_call() -> None:
    stream, client = await open_pair()
    calls: list[int] = []

    def hook(s: BaseIOStream) -> None:
        calls.append(s._buffered_size())
        if s._buffered_size() >= 6:
            assert s._read_buffered() == b"abcdef"

    stream._set_data_hook(hook)
    with client:
        client.sendall(b"abc")
        await wait_for(lambda: len(calls) == 1)
        client.sendall(b"def")
        await wait_for(lambda: len(calls) == 2)
        assert calls == [3, 6]
        assert stream._buffered_size() == 0
    stream.close()


@run_async
async def test_pending_read_wins_over_the_hook() -> None:
    stream, client = await open_pair()
    calls: list[bytes] = []
    stream._set_data_hook(lambda s: calls.append(s._read_buffered()))
    with client:
        read = stream.read_bytes(4)
        client.sendall(b"wxyz")
        assert await read == b"wxyz"
        assert calls == []  # the read took the data, the hook was not called
        client.sendall(b"more")
        await wait_for(lambda: bool(calls))
        assert calls == [b"more"]
    stream.close()


@run_async
async def test_read_buffered_refuses_while_a_read_is_pending() -> None:
    stream, client = await open_pair()
    with client:
        read = stream.read_bytes(4)
        with pytest.raises(RuntimeError):
            stream._read_buffered()
        client.sendall(b"1234")
        assert await read == b"1234"
    stream.close()


@run_async
async def test_cancelled_read_lets_the_hook_have_the_data() -> None:
    stream, client = await open_pair()
    calls: list[bytes] = []
    stream._set_data_hook(lambda s: calls.append(s._read_buffered()))
    with client:
        read = stream.read_bytes(4)
        read.cancel()
        client.sendall(b"data")
        await wait_for(lambda: bool(calls))
        assert calls == [b"data"]
    stream.close()


@run_async
async def test_hook_exception_closes_the_stream(caplog: pytest.LogCaptureFixture) -> None:
    stream, client = await open_pair()
    closed = asyncio.Event()
    stream.set_close_callback(closed.set)

    def hook(s: BaseIOStream) -> None:
        raise ValueError("boom")

    stream._set_data_hook(hook)
    with client, caplog.at_level(logging.ERROR, logger="squall.general"):
        client.sendall(b"x")
        await asyncio.wait_for(closed.wait(), 5)
    assert stream.closed()
    assert isinstance(stream.error, ValueError)
    records = [r for r in caplog.records if r.name == "squall.general"]
    assert len(records) == 1


@run_async
async def test_close_drops_the_hook() -> None:
    stream, client = await open_pair()
    stream._set_data_hook(lambda s: None)
    stream.close()
    assert stream._data_hook is None
    client.close()
    with pytest.raises(StreamClosedError):
        await stream.read_bytes(1)


@run_async
async def test_hook_may_write_and_start_a_read() -> None:
    stream, client = await open_pair()
    reads: list[asyncio.Future[bytes]] = []

    def hook(s: BaseIOStream) -> None:
        s.write(b"echo:" + s._read_buffered(1))
        s._set_data_hook(None)
        reads.append(s.read_bytes(2))  # the read now owns the stream

    stream._set_data_hook(hook)
    with client:
        client.sendall(b"a")
        await wait_for(lambda: bool(reads))
        client.sendall(b"bc")
        assert await reads[0] == b"bc"
        client.settimeout(5)
        assert client.recv(100) == b"echo:a"
    stream.close()


@run_async
async def test_backpressure_pauses_reading_when_the_hook_leaves_data() -> None:
    stream, client = await open_pair(max_buffer_size=4096)
    calls: list[int] = []
    stream._set_data_hook(lambda s: calls.append(s._buffered_size()))  # consumes nothing
    with client:
        client.setblocking(False)
        payload = b"p" * 65536
        sent = 0
        loop = asyncio.get_running_loop()
        end = loop.time() + 5
        while not stream._read_paused and loop.time() < end:
            with contextlib.suppress(BlockingIOError):
                sent += client.send(payload)
            await asyncio.sleep(0.01)
        assert stream._read_paused
        assert calls
        # Consuming through the hook API resumes reading.
        got = len(stream._read_buffered())
        assert not _paused(stream)
        stream._set_data_hook(lambda s: None)
        while got < sent:
            await asyncio.sleep(0.01)
            got += len(stream._read_buffered())
        assert got == sent
    stream.close()


@settings(max_examples=30, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=3000),
    sizes=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=8),
    splits=st.lists(st.integers(min_value=1, max_value=500), max_size=6),
)
def test_partial_consumption_preserves_the_byte_stream(
    data: bytes, sizes: list[int], splits: list[int]
) -> None:
    """Whatever the hook takes plus what a later read gets is exactly what was sent."""

    async def main() -> bytes:
        stream, client = await open_pair()
        out: list[bytes] = []
        turn = [0]

        def hook(s: BaseIOStream) -> None:
            size = sizes[turn[0] % len(sizes)]
            turn[0] += 1
            out.append(s._read_buffered(size))

        stream._set_data_hook(hook)
        with client:
            pos = 0
            for size in splits:
                client.sendall(data[pos : pos + size])
                pos += size
                await asyncio.sleep(0.001)
            client.sendall(data[pos:])
            client.shutdown(socket.SHUT_WR)
            rest = await stream.read_until_close()
        return b"".join(out) + rest

    assert asyncio.run(main()) == data
