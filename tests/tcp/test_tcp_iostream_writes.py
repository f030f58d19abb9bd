"""IOStream writes, connect and close over real loopback TCP sockets."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

import pytest
from squall_test_support import tcp_pair

from squall.iostream import IOStream, StreamBufferFullError, StreamClosedError


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


def small_buffers(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)


def test_write_resolves_when_flushed() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            await stream.write(b"hello")
            assert not stream.writing()
            await stream.write(b"")
            await stream.write(memoryview(b" world"))
            await stream.write(bytearray(b"!"))
            b.settimeout(5)
            got = b""
            while len(got) < 12:
                got += b.recv(100)
            assert got == b"hello world!"
        stream.close()

    run(main)


def test_write_backpressure_against_a_peer_that_does_not_read() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        small_buffers(a)
        small_buffers(b)
        stream = IOStream(a)
        payload = b"p" * (4 * 1024 * 1024)
        fut = stream.write(payload)
        await asyncio.sleep(0.05)
        assert not fut.done()  # the kernel buffers are full, the peer reads nothing
        assert stream.writing()
        later = stream.write(b"tail")
        assert not later.done()
        b.setblocking(False)
        loop = asyncio.get_running_loop()
        got = bytearray()
        while len(got) < len(payload) + 4:
            got += await loop.sock_recv(b, 1024 * 1024)
        await fut
        await later
        assert not stream.writing()
        assert got == payload + b"tail"
        b.close()
        stream.close()

    run(main)


def test_close_fails_unflushed_writes_and_write_after_close_raises() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        small_buffers(a)
        small_buffers(b)
        stream = IOStream(a)
        await asyncio.sleep(0)
        fut = stream.write(b"q" * (2 * 1024 * 1024))
        await asyncio.sleep(0.01)
        assert not fut.done()
        stream.close()
        with pytest.raises(StreamClosedError):
            await fut
        with pytest.raises(StreamClosedError):
            stream.write(b"more")
        b.close()

    run(main)


def test_max_write_buffer_size() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        small_buffers(a)
        small_buffers(b)
        stream = IOStream(a, max_write_buffer_size=1024 * 1024)
        await asyncio.sleep(0.01)
        stream.write(b"w" * (900 * 1024))
        with pytest.raises(StreamBufferFullError):
            stream.write(b"w" * (900 * 1024))
        stream.close()
        b.close()

    run(main)


def test_close_callback_runs_once_on_peer_close() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        closed = asyncio.Event()
        calls: list[bool] = []

        def on_close() -> None:
            calls.append(stream.closed())
            closed.set()

        stream.set_close_callback(on_close)
        b.close()
        await closed.wait()
        stream.close()
        await asyncio.sleep(0.01)
        assert calls == [True]

    run(main)


def test_close_callback_exception_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)

        def boom() -> None:
            raise ZeroDivisionError("close callback")

        stream.set_close_callback(boom)
        stream.close()
        await asyncio.sleep(0.01)
        b.close()

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main)
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [ZeroDivisionError]


def test_close_exc_info_forms() -> None:
    async def main() -> None:
        for form in ("instance", "tuple", "true"):
            a, b = tcp_pair()
            stream = IOStream(a)
            err = ValueError(form)
            if form == "instance":
                stream.close(exc_info=err)
            else:
                try:
                    raise err
                except ValueError:
                    import sys

                    stream.close(exc_info=sys.exc_info() if form == "tuple" else True)
            assert stream.error is err
            b.close()

    run(main)


def test_connect_and_talk() -> None:
    async def main() -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            listener.setblocking(False)
            stream = IOStream(socket.socket())
            fut = stream.connect(listener.getsockname())
            loop = asyncio.get_running_loop()
            peer, _ = await loop.sock_accept(listener)
            assert await fut is stream
            with pytest.raises(RuntimeError):
                stream.connect(listener.getsockname())
            with peer:
                await stream.write(b"ping")
                assert await loop.sock_recv(peer, 4) == b"ping"
                await loop.sock_sendall(peer, b"pong")
                assert await stream.read_bytes(4) == b"pong"
            assert stream.fileno() >= 0
            stream.set_nodelay(True)
            stream.close()
            stream.set_nodelay(False)  # ignored once closed

    run(main)


def test_connect_refused() -> None:
    async def main() -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            address = probe.getsockname()  # bound, not listening: refused
            stream = IOStream(socket.socket())
            with pytest.raises(StreamClosedError) as info:
                await stream.connect(address)
        assert isinstance(info.value.real_error, ConnectionRefusedError)
        assert stream.closed()
        assert isinstance(stream.error, ConnectionRefusedError)

    run(main)


def test_close_before_transport_ready_closes_socket() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        stream.close()  # the attach task has not run yet
        assert a.fileno() == -1
        await asyncio.sleep(0.01)
        b.settimeout(5)
        assert b.recv(1) == b""
        b.close()

    run(main)


def test_close_while_connecting() -> None:
    async def main() -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            sock = socket.socket()
            stream = IOStream(sock)
            fut = stream.connect(listener.getsockname())
            await asyncio.sleep(0)
            stream.close()
            with pytest.raises(StreamClosedError):
                await fut
            await asyncio.sleep(0.01)
            assert sock.fileno() == -1

    run(main)


def test_unstarted_stream_cleaned_up_at_loop_shutdown() -> None:
    sockets: list[socket.socket] = []

    async def main() -> None:
        a, b = tcp_pair()
        sockets.extend((a, b))
        IOStream(a)  # its attach task gets cancelled by asyncio.run's shutdown

    asyncio.run(main())
    assert sockets[0].fileno() == -1
    sockets[1].close()


def test_write_before_connect_is_sent_after() -> None:
    async def main() -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            listener.setblocking(False)
            stream = IOStream(socket.socket())
            connected = stream.connect(listener.getsockname())
            written = stream.write(b"queued")
            loop = asyncio.get_running_loop()
            peer, _ = await loop.sock_accept(listener)
            await connected
            await written
            with peer:
                assert await loop.sock_recv(peer, 6) == b"queued"
            stream.close()

    run(main)
