"""IOStream reads over real loopback TCP sockets."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Awaitable, Callable

import pytest
from squall_test_support import tcp_pair

from squall.iostream import (
    IOStream,
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
)


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


async def settle(rounds: int = 5) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0.001)


def test_read_until_basic_and_buffered_lines() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            b.sendall(b"one\ntwo\nthree")
            assert await stream.read_until(b"\n") == b"one\n"
            assert await stream.read_until(b"\n") == b"two\n"
            fut = stream.read_until(b"\n")
            await settle()
            assert not fut.done()
            assert stream.reading()
            b.sendall(b"\nrest")
            assert await fut == b"three\n"
            assert not stream.reading()
            assert await stream.read_bytes(4) == b"rest"
        stream.close()

    run(main)


def test_delimiter_split_across_packets() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            fut = stream.read_until(b"\r\n\r\n")
            for piece in (b"GET / HTTP/1.1\r", b"\nHost: x\r\n", b"\r", b"\n"):
                b.sendall(piece)
                await settle(2)
            assert await fut == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        stream.close()

    run(main)


def test_read_bytes_exact_and_partial() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            assert await stream.read_bytes(0) == b""
            fut = stream.read_bytes(6)
            b.sendall(b"abc")
            await settle()
            assert not fut.done()
            b.sendall(b"defgh")
            assert await fut == b"abcdef"
            assert await stream.read_bytes(100, partial=True) == b"gh"
            fut = stream.read_bytes(3, partial=True)
            b.sendall(b"0123456")
            assert await fut == b"012"
            assert await stream.read_bytes(4, partial=True) == b"3456"
            with pytest.raises(ValueError):
                stream.read_bytes(-1)
        stream.close()

    run(main)


def test_read_into() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            buf = bytearray(5)
            fut = stream.read_into(buf)
            b.sendall(b"hel")
            await settle()
            assert not fut.done()
            b.sendall(b"lo world")
            assert await fut == 5
            assert buf == b"hello"
            small = bytearray(10)
            assert await stream.read_into(small, partial=True) == 6
            assert small[:6] == b" world"
        stream.close()

    run(main)


def test_read_until_regex() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            fut = stream.read_until_regex(rb"\r?\n\r?\n")
            b.sendall(b"head\r\n")
            await settle()
            assert not fut.done()
            b.sendall(b"\r\nbody")
            assert await fut == b"head\r\n\r\n"
            assert await stream.read_until_regex(re.compile(rb"o.")) == b"bod"
            fut = stream.read_until_regex(rb"z", max_bytes=4)
            b.sendall(b"123456")
            with pytest.raises(UnsatisfiableReadError):
                await fut
            assert stream.closed()

    run(main)


def test_read_until_close_and_eof_with_pending_data() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        fut = stream.read_until_close()
        b.sendall(b"abc")
        await settle()
        assert not fut.done()
        b.sendall(b"def")
        b.close()
        assert await fut == b"abcdef"
        assert stream.closed()
        assert stream.error is None
        # Nothing left: a further read on the closed stream raises.
        with pytest.raises(StreamClosedError):
            stream.read_bytes(1)
        assert await stream.read_until_close() == b""

    run(main)


def test_eof_fails_pending_read_but_buffered_data_stays_readable() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        fut = stream.read_until(b"\n")
        b.sendall(b"no newline")
        b.close()
        with pytest.raises(StreamClosedError) as info:
            await fut
        assert info.value.real_error is None
        assert stream.closed()
        # Tornado serves reads the buffer can satisfy even after close.
        assert await stream.read_bytes(3) == b"no "
        assert await stream.read_bytes(100, partial=True) == b"newline"
        with pytest.raises(StreamClosedError):
            stream.read_until(b"\n")

    run(main)


def test_close_during_read_fails_it_and_runs_callback_once() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        calls: list[int] = []
        stream.set_close_callback(lambda: calls.append(1))
        with b:
            fut = stream.read_bytes(10)
            await settle()
            stream.close()
            stream.close()
            assert stream.closed()
            with pytest.raises(StreamClosedError):
                await fut
            await settle()
            assert calls == [1]
            # The peer sees EOF.
            b.settimeout(5)
            assert b.recv(10) == b""

    run(main)


def test_max_bytes_unsatisfiable_later_and_inline() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            fut = stream.read_until(b"\n", max_bytes=5)
            b.sendall(b"123456789")
            with pytest.raises(UnsatisfiableReadError) as info:
                await fut
            # Also a StreamClosedError whose real_error is the original error.
            assert isinstance(info.value, StreamClosedError)
            assert isinstance(info.value.real_error, UnsatisfiableReadError)
            assert stream.closed()
            assert isinstance(stream.error, UnsatisfiableReadError)

        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            b.sendall(b"abcdefgh\n")
            await settle()
            assert await stream.read_bytes(1) == b"a"  # data now buffered
            with pytest.raises(StreamClosedError):
                await stream.read_until(b"\n", max_bytes=3)
            assert stream.closed()

    run(main)


def test_max_bytes_counts_the_delimiter() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            b.sendall(b"abcd\r\n")
            assert await stream.read_until(b"\r\n", max_bytes=6) == b"abcd\r\n"
            b.sendall(b"abcd\r\n")
            with pytest.raises(UnsatisfiableReadError):
                await stream.read_until(b"\r\n", max_bytes=5)

    run(main)


def test_read_buffer_full_fails_pending_read() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a, max_buffer_size=1000)
        with b:
            fut = stream.read_until(b"\n")
            b.sendall(b"x" * 5000)
            with pytest.raises(StreamBufferFullError) as info:
                await fut
            assert isinstance(info.value, StreamClosedError)
            assert stream.closed()

    run(main)


def test_full_buffer_pauses_reading_then_resumes() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        b.setblocking(False)
        stream = IOStream(a, max_buffer_size=64 * 1024)
        total = 4 * 1024 * 1024
        payload = bytes(range(256)) * (total // 256)
        loop = asyncio.get_running_loop()
        sender = asyncio.ensure_future(loop.sock_sendall(b, payload))
        await asyncio.sleep(0.05)
        # Nobody reads: the stream stops reading instead of buffering everything.
        assert len(stream._buffer) <= 64 * 1024 + 1024 * 1024
        assert not sender.done()
        got = bytearray()
        while len(got) < total:
            got += await stream.read_bytes(min(32 * 1024, total - len(got)))
        await sender
        assert got == payload
        b.close()
        stream.close()

    run(main)


def test_read_issued_on_over_full_buffer_fails() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a, max_buffer_size=1000)
        with b:
            b.sendall(b"y" * 3000)
            await settle(10)
            with pytest.raises(StreamBufferFullError):
                await stream.read_until(b"\n")
            assert stream.closed()

    run(main)


def test_read_until_close_over_limit_fails() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a, max_buffer_size=1000)
        with b:
            fut = stream.read_until_close()
            b.sendall(b"z" * 5000)
            with pytest.raises(StreamBufferFullError):
                await fut

    run(main)


def test_one_read_at_a_time_and_cancelled_read_keeps_data() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            fut = stream.read_bytes(4)
            with pytest.raises(RuntimeError):
                stream.read_bytes(1)
            fut.cancel()
            b.sendall(b"data")
            await settle()
            assert await stream.read_bytes(4) == b"data"
            with pytest.raises(ValueError):
                stream.read_until(b"")
        stream.close()

    run(main)


def test_reads_before_transport_ready_wait_for_it() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        with b:
            b.sendall(b"early\n")
            stream = IOStream(a)  # the transport is made by a task, not yet run
            fut = stream.read_until(b"\n")
            write = stream.write(b"hi")
            assert await fut == b"early\n"
            await write
            b.settimeout(5)
            assert b.recv(2) == b"hi"
        stream.close()

    run(main)


def test_connection_reset_sets_error() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        fut = stream.read_bytes(10)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        b.close()  # linger 0: RST
        with pytest.raises(StreamClosedError) as info:
            await fut
        assert isinstance(info.value.real_error, ConnectionResetError)
        assert isinstance(stream.error, ConnectionResetError)

    run(main)


def test_reading_100mb_in_64k_pieces_is_linear() -> None:
    """Buffered data is consumed without re-copying the rest of the buffer."""
    chunk = 64 * 1024

    async def drain(total: int) -> float:
        a, b = tcp_pair()
        b.setblocking(False)
        stream = IOStream(a, max_buffer_size=total + chunk)
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(b, b"\0" * total)
        b.close()
        # Wait until everything is buffered, so each read works on a large buffer.
        while len(stream._buffer) < total:
            await asyncio.sleep(0.005)
        start = time.perf_counter()
        for _ in range(total // chunk):
            stream.read_bytes(chunk).result()
        elapsed = time.perf_counter() - start
        stream.close()
        return elapsed

    async def main() -> None:
        small = await drain(10 * 1024 * 1024)
        large = await drain(100 * 1024 * 1024)
        # Linear: ~10x; quadratic would be ~100x. Allow generous noise.
        assert large < small * 30 + 0.05, (small, large)

    run(main)


def test_read_until_over_a_huge_buffer_is_linear() -> None:
    """The delimiter search resumes where it stopped instead of rescanning."""

    async def find_end(total: int) -> float:
        a, b = tcp_pair()
        b.setblocking(False)
        stream = IOStream(a, max_buffer_size=total + 1024)
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        fut = stream.read_until(b"END")
        await loop.sock_sendall(b, b"x" * total + b"END")
        data = await fut
        elapsed = time.perf_counter() - start
        assert len(data) == total + 3
        b.close()
        stream.close()
        return elapsed

    async def main() -> None:
        small = await find_end(4 * 1024 * 1024)
        large = await find_end(40 * 1024 * 1024)
        assert large < small * 30 + 0.05, (small, large)

    run(main)
