"""Server fast paths over real sockets: one-timer deadlines, bodies read at once.

Every read of a request has a deadline, but the connection keeps one
``TimerHandle`` that re-arms itself instead of arming a timer per read. These
tests use short timeouts to check that each deadline still fires on time, that a
later (longer) deadline is honoured after the timer fires early, that an earlier
deadline replaces a later timer, and that the server arms only a handful of
timers for many keep-alive requests. The last tests check that a body that
arrives with its head (read without a coroutine) reaches the delegate exactly as
one that trickles in, awaitables from ``data_received`` included.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from squall_test_http1 import serve_while

from squall.http1connection import HTTP1ConnectionParameters
from squall.http1connection._deadlines import DeadlineReader
from squall.http1connection._parser import RequestParser
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    RequestStartLine,
    ResponseStartLine,
)
from squall.iostream import IOStream


class Hello(HTTPMessageDelegate):
    def __init__(self, conn: HTTPConnection) -> None:
        self.conn = conn

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        return None

    def finish(self) -> None:
        headers = HTTPHeaders({"Content-Length": "2"})
        self.conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, b"hi")
        self.conn.finish()


class SlowEcho(Hello):
    """Echoes the body; ``data_received`` returns an awaitable that must be awaited."""

    def __init__(self, conn: HTTPConnection, bodies: list[bytes]) -> None:
        super().__init__(conn)
        self.chunks: list[bytes] = []
        self.bodies = bodies

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        async def record() -> None:
            await asyncio.sleep(0.001)
            self.chunks.append(chunk)  # only if awaited before finish()

        return record()

    def finish(self) -> None:
        body = b"".join(self.chunks)
        self.bodies.append(body)
        headers = HTTPHeaders({"Content-Length": str(len(body))})
        self.conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
        self.conn.finish()


class App(HTTPServerConnectionDelegate):
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> Hello:
        return SlowEcho(request_conn, self.bodies)


def run(
    client: Callable[[int], Any], count_timers: bool = False, app: App | None = None, **params: Any
) -> Any:
    """Serve with ``HTTP1ConnectionParameters(**params)``; run ``client(port)`` in a thread."""

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        armed: list[float] = []
        if count_timers:
            call_at = loop.call_at

            def counting_call_at(when: float, callback: Any, *args: Any, **kw: Any) -> Any:
                armed.append(when)
                return call_at(when, callback, *args, **kw)

            loop.call_at = counting_call_at  # type: ignore[method-assign,assignment]
        result = await serve_while(client, HTTP1ConnectionParameters(**params), app or App())
        return (result, len(armed)) if count_timers else result

    return asyncio.run(main())


def read_until_eof(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    out = b""
    while data := sock.recv(65536):
        out += data
    return out


REQUEST = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
RESPONSE_END = b"Content-Length: 0\r\n\r\n"


def read_response(sock: socket.socket, end: bytes = RESPONSE_END) -> bytes:
    sock.settimeout(5)
    out = b""
    while not out.endswith(end):
        data = sock.recv(65536)
        assert data, out
        out += data
    return out


def test_later_deadline_rearms_after_an_early_timer() -> None:
    """The timer armed for idle_timeout fires early; keep_alive_timeout still holds."""

    def client(port: int) -> tuple[float, bytes]:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(REQUEST)  # the idle_timeout (0.3 s) timer is armed for this wait
            read_response(sock)
            start = time.monotonic()  # now waiting under keep_alive_timeout (0.8 s)
            rest = read_until_eof(sock)
            return time.monotonic() - start, rest

    elapsed, rest = run(client, idle_timeout=0.3, keep_alive_timeout=0.8)
    assert rest == b""
    assert 0.65 < elapsed < 4


def test_earlier_deadline_replaces_a_later_timer() -> None:
    """A partial head under header_read_timeout (0.2 s) is not left to the 5 s timer."""

    def client(port: int) -> tuple[float, bytes]:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            time.sleep(0.05)  # the server now waits under idle_timeout (5 s)
            start = time.monotonic()
            sock.sendall(b"GET / HTTP/1.1\r\n")
            data = read_until_eof(sock)
            return time.monotonic() - start, data

    elapsed, data = run(client, idle_timeout=5, header_read_timeout=0.2, linger_timeout=None)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert 0.15 < elapsed < 3


def test_busy_keep_alive_connection_outlives_its_timeout_and_arms_few_timers() -> None:
    """Requests spaced under keep_alive_timeout keep the connection open; one timer serves them."""

    def client(port: int) -> tuple[int, float]:
        answered = 0
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for _ in range(8):  # 8 x 0.1 s: well beyond keep_alive_timeout
                sock.sendall(REQUEST)
                read_response(sock)
                answered += 1
                time.sleep(0.1)
            for _ in range(200):  # and many quick ones
                sock.sendall(REQUEST)
                read_response(sock)
                answered += 1
            start = time.monotonic()
            assert read_until_eof(sock) == b""
            return answered, time.monotonic() - start

    (answered, idle), timers = run(
        client, count_timers=True, idle_timeout=0.3, keep_alive_timeout=0.3
    )
    assert answered == 208
    assert 0.2 < idle < 4
    # asyncio.timeout_at per read would have armed 208+; the deadline reader re-arms
    # only when the timer fires (every ~0.3 s here) or an earlier deadline comes.
    assert timers < 40


def test_reader_timeout_keeps_buffered_bytes_and_cancel_is_not_a_timeout() -> None:
    async def main() -> None:
        a, b = socket.socketpair()
        stream, peer = IOStream(a), IOStream(b)
        parser = RequestParser()
        reader = DeadlineReader(stream, parser)
        try:
            with pytest.raises(TimeoutError):
                await reader.fill(reader.time() + 0.05)
            await peer.write(REQUEST)
            await reader.fill(reader.time() + 5)  # the data after a timeout is intact
            head = parser.next_head()
            assert head is not None
            assert head[0].method == "GET"
            # Cancelling the task that waits is a cancellation, not a timeout, even
            # with a deadline that passes meanwhile.
            task = asyncio.ensure_future(reader.fill(reader.time() + 0.01))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # A deadline already past when the read starts still fires.
            with pytest.raises(TimeoutError):
                await reader.fill(reader.time() - 1)
            # No deadline: waits for data.
            waiter = asyncio.ensure_future(reader.fill(None))
            await asyncio.sleep(0.05)
            assert not waiter.done()
            await peer.write(REQUEST)
            await asyncio.wait_for(waiter, 5)
            assert parser.next_head() is not None
        finally:
            reader.close()
            stream.close()
            peer.close()

    asyncio.run(main())


@pytest.mark.parametrize("trickle", [False, True], ids=["with-head", "trickled"])
def test_body_read_at_once_matches_trickled_body(trickle: bool) -> None:
    bodies = [b"x", b"abc" * 300, bytes(range(256)) * 4]

    def client(port: int) -> list[bytes]:
        answers = []
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for body in bodies:
                head = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body)
                if trickle:
                    sock.sendall(head)
                    for i in range(0, len(body), 100):
                        time.sleep(0.002)
                        sock.sendall(body[i : i + 100])
                else:
                    sock.sendall(head + body)
                answers.append(read_response(sock, body)[-len(body) :])
        return answers

    app = App()
    assert run(client, app=app) == bodies
    assert app.bodies == bodies


@pytest.mark.parametrize("trickle", [False, True], ids=["with-head", "trickled"])
def test_body_over_the_limit_is_413_either_way(trickle: bool) -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            head = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n"
            sock.sendall(head if trickle else head + b"y" * 20)
            return read_until_eof(sock)

    data = run(client, max_body_size=10, linger_timeout=0.2)
    assert data.startswith(b"HTTP/1.1 413 ")
