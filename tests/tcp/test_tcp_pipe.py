"""PipeIOStream over os.pipe(): reads, writes, backpressure, EOF, errors."""

from __future__ import annotations

import asyncio
import errno
import itertools
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.iostream import PipeIOStream, StreamBufferFullError, StreamClosedError


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


def pipe_pair(**kwargs: Any) -> tuple[PipeIOStream, PipeIOStream]:
    r, w = os.pipe()
    return PipeIOStream(r, **kwargs), PipeIOStream(w)


def test_read_until_bytes_partial_and_close() -> None:
    async def main() -> None:
        reader, writer = pipe_pair()
        assert reader.fileno() != writer.fileno()
        await writer.write(b"line one\nline two\n")
        assert await reader.read_until(b"\n") == b"line one\n"
        assert await reader.read_bytes(4) == b"line"
        assert await reader.read_bytes(100, partial=True) == b" two\n"
        await writer.write(b"abc")
        buf = bytearray(2)
        assert await reader.read_into(buf) == 2
        assert buf == b"ab"
        read = reader.read_until_regex(rb"\d+;")
        await writer.write(b"-12;rest")
        assert await read == b"c-12;"
        writer.close()
        assert await reader.read_until_close() == b"rest"
        assert reader.closed()
        with pytest.raises(StreamClosedError):
            reader.read_bytes(1)

    run(main)


def test_eof_fails_a_pending_read() -> None:
    async def main() -> None:
        reader, writer = pipe_pair()
        read = reader.read_until(b"\n")
        await writer.write(b"no newline")
        writer.close()
        with pytest.raises(StreamClosedError):
            await read
        reader.close()

    run(main)


def test_large_transfer_with_write_backpressure() -> None:
    async def main() -> None:
        # The reader buffers at most ~64 KiB before it stops reading the pipe.
        reader, writer = pipe_pair(max_buffer_size=65536)
        chunk = bytes(range(256)) * 256  # 64 KiB, as large as the pipe's buffer
        total = 32

        async def produce() -> None:
            for _ in range(total):
                await writer.write(chunk)
            writer.close()

        task = asyncio.create_task(produce())
        await asyncio.sleep(0.05)
        # Nobody reads yet: the writer must be waiting, not buffering it all.
        assert not task.done()
        assert writer.writing()
        data = bytearray()
        while len(data) < len(chunk) * total:
            data += await reader.read_bytes(65536, partial=True)
        await task
        assert data == chunk * total
        assert await reader.read_until_close() == b""

    run(main)


def test_read_buffer_limit() -> None:
    async def main() -> None:
        reader, writer = pipe_pair(max_buffer_size=1024)
        read = reader.read_until(b"\n")
        with pytest.raises(StreamClosedError):
            for _ in range(10):
                await writer.write(b"x" * 512)
                await asyncio.sleep(0.01)
        with pytest.raises(StreamBufferFullError):
            await read
        assert reader.closed()
        writer.close()

    run(main)


def test_writer_closes_when_the_reader_goes_away() -> None:
    async def main() -> None:
        r, w = os.pipe()
        writer = PipeIOStream(w)
        closed = asyncio.Event()
        writer.set_close_callback(closed.set)
        await writer.write(b"hello")
        os.close(r)
        await asyncio.wait_for(closed.wait(), 2)
        with pytest.raises(StreamClosedError):
            await writer.write(b"more")

    run(main)


def test_wrong_direction_is_ebadf() -> None:
    async def main() -> None:
        reader, writer = pipe_pair()
        with pytest.raises(StreamClosedError) as info:
            await reader.write(b"x")
        assert isinstance(info.value.real_error, OSError)
        assert info.value.real_error.errno == errno.EBADF
        assert reader.closed()
        with pytest.raises(StreamClosedError) as info:
            writer.read_bytes(1)
        assert info.value.real_error is not None
        assert getattr(info.value.real_error, "errno", None) == errno.EBADF
        assert writer.closed()

    run(main)


def test_close_before_attach_closes_the_fd() -> None:
    async def main() -> None:
        r, w = os.pipe()
        writer = PipeIOStream(w)
        writer.close()  # before the loop ever ran the attach task
        await asyncio.sleep(0)
        assert os.read(r, 10) == b""  # EOF: no write end is open any more
        os.close(r)
        r, w = os.pipe()
        writer = PipeIOStream(w)
        await asyncio.sleep(0)  # the attach task runs: asyncio is connecting the pipe
        writer.close()
        await asyncio.sleep(0.01)
        assert os.read(r, 10) == b""
        os.close(r)
        r, w = os.pipe()
        reader = PipeIOStream(r)
        await asyncio.sleep(0.01)  # attached
        reader.close()
        await asyncio.sleep(0.01)
        with pytest.raises(BrokenPipeError):
            os.write(w, b"x")
        os.close(w)

    run(main)


def test_rejects_regular_files(tmp_path: Any) -> None:
    async def main() -> None:
        path = tmp_path / "f"
        path.write_bytes(b"data")
        fd = os.open(path, os.O_RDONLY)
        try:
            with pytest.raises(ValueError, match="pipe"):
                PipeIOStream(fd)
        finally:
            os.close(fd)

    run(main)


def test_socketpair_end_reads() -> None:
    async def main() -> None:
        a, b = socket.socketpair()
        with b:
            stream = PipeIOStream(a.detach())
            b.sendall(b"over a socket\n")
            assert await stream.read_until(b"\n") == b"over a socket\n"
            stream.close()

    run(main)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [data[i:j] for i, j in itertools.pairwise(bounds) if j > i]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.binary(max_size=20).map(lambda b: b.replace(b";", b"") + b";"), max_size=6),
    st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_any_split_gives_the_same_reads(lines: list[bytes], points: list[int]) -> None:
    data = b"".join(lines)

    async def main() -> None:
        reader, writer = pipe_pair()

        async def produce() -> None:
            for packet in cut(data, points):
                await writer.write(packet)
                await asyncio.sleep(0)
            writer.close()

        task = asyncio.create_task(produce())
        got = [await reader.read_until(b";") for _ in lines]
        assert await reader.read_until_close() == b""
        await task
        assert got == lines

    run(main)
