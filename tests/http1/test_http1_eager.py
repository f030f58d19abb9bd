"""The synchronous server path (requests answered inside the stream's data hook).

``HTTP1ServerConnection`` waits for a head in the stream's data hook and runs
each request's coroutine eagerly there; whatever has to wait continues in the
connection's task. These tests check, over real loopback sockets, that this
gives exactly what the task-only path gives: Hypothesis builds pipelined
request sequences (bodies by length or chunked, ``Expect: 100-continue``,
delegates returning awaitables, responses finished later, a final close or
parse error), sends them cut anywhere with pauses between the pieces, and
compares the response bytes and what the delegates saw with the task-only path
(the hook disabled) fed the same bytes at once. Further tests pin fairness, the
waiting deadlines and closing while waiting in the hook.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Awaitable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from squall_test_http1 import ConnectionServer, serve_while
from squall_test_support import run_async

from squall.http1connection import HTTP1ConnectionParameters, HTTP1ServerConnection
from squall.http1connection import _server as server_module
from squall.http1connection._eager import Resume, run_eagerly
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    RequestStartLine,
    ResponseStartLine,
)
from squall.netutil import bind_sockets


class Recorder(HTTPMessageDelegate):
    """Answers ``path:body-length:body``; some paths make the connection wait."""

    def __init__(self, conn: HTTPConnection, log: list[Any]) -> None:
        self.conn = conn
        self.log = log
        self.path = ""
        self.chunks: list[bytes] = []

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        assert isinstance(start_line, RequestStartLine)
        self.path = start_line.path
        if self.path == "/await-head":
            return asyncio.sleep(0)
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        self.chunks.append(chunk)
        if self.path == "/await-body":
            return asyncio.sleep(0)
        return None

    def finish(self) -> None:
        body = b"".join(self.chunks)
        self.log.append(("finish", self.path, body))
        if self.path == "/late":
            asyncio.get_running_loop().call_later(0.002, self.respond, body)
        else:
            self.respond(body)

    def respond(self, body: bytes) -> None:
        payload = b"%s:%d:%s" % (self.path.encode(), len(body), body[:20])
        headers = HTTPHeaders({"Content-Length": str(len(payload))})
        self.conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, payload)
        self.conn.finish()

    def on_connection_close(self) -> None:
        self.log.append(("closed", self.path))


class App(HTTPServerConnectionDelegate):
    def __init__(self) -> None:
        self.log: list[Any] = []

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> Recorder:
        return Recorder(request_conn, self.log)


def exchange(
    pieces: list[bytes], eager: bool, pause: float = 0.002, **params: Any
) -> tuple[bytes, list[Any]]:
    """Send ``pieces`` (pausing between them), return the bytes until EOF and the log."""
    params.setdefault("linger_timeout", 0.2)
    app = App()

    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i, piece in enumerate(pieces):
                if i:
                    time.sleep(pause)
                sock.sendall(piece)
            sock.settimeout(5)
            out = b""
            while data := sock.recv(65536):
                out += data
            return out

    original = HTTP1ServerConnection._can_wait_in_hook
    if not eager:
        HTTP1ServerConnection._can_wait_in_hook = lambda self: False  # type: ignore[method-assign]
    try:
        out = asyncio.run(serve_while(client, HTTP1ConnectionParameters(**params), app))
    finally:
        HTTP1ServerConnection._can_wait_in_hook = original  # type: ignore[method-assign]
    return out, app.log


def build(path: str, body: bytes | None, chunked: bool, expect: bool, last: str | None) -> bytes:
    head = [f"POST {path} HTTP/1.1" if body is not None else f"GET {path} HTTP/1.1", "Host: t"]
    if expect and body:
        head.append("Expect: 100-continue")
    if last == "close":
        head.append("Connection: close")
    payload = b""
    if body is not None:
        if chunked:
            head.append("Transfer-Encoding: chunked")
            for i in range(0, len(body), 700):
                part = body[i : i + 700]
                payload += b"%x\r\n%s\r\n" % (len(part), part)
            payload += b"0\r\n\r\n"
        else:
            head.append(f"Content-Length: {len(body)}")
            payload = body
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


_paths = st.sampled_from(["/sync", "/sync", "/sync", "/await-head", "/await-body", "/late"])
_requests = st.lists(
    st.tuples(
        _paths,
        st.one_of(st.none(), st.binary(max_size=2500)),
        st.booleans(),
        st.integers(0, 5).map(lambda n: n == 0),
    ),
    min_size=1,
    max_size=6,
)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [data[i:j] for i, j in itertools.pairwise(bounds) if j > i]


@settings(max_examples=25, deadline=None)
@given(
    requests=_requests,
    ending=st.sampled_from(["close", "bad"]),
    points=st.lists(st.integers(0, 20000), max_size=5),
)
def test_eager_path_matches_task_path(
    requests: list[tuple[str, bytes | None, bool, bool]], ending: str, points: list[int]
) -> None:
    stream = b"".join(build(p, b, c, e, None) for p, b, c, e in requests)
    if ending == "close":
        stream += build("/sync", None, False, False, "close")
    else:
        stream += b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"
    expected = exchange([stream], eager=False)
    assert expected[0].count(b"HTTP/1.1 200 OK") == len(requests) + (ending == "close")
    assert exchange(cut(stream, points), eager=True) == expected
    assert exchange([stream], eager=True) == expected


def test_simple_requests_complete_inside_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes: list[object] = []
    serve = HTTP1ServerConnection._serve_eagerly

    def counting(self: HTTP1ServerConnection) -> object | None:
        outcome = serve(self)
        outcomes.append(outcome)
        return outcome

    monkeypatch.setattr(HTTP1ServerConnection, "_serve_eagerly", counting)
    get = build("/sync", None, False, False, None)
    post = build("/sync", b"abc", False, False, None)
    pieces = [get, post, get, build("/sync", None, False, False, "close")]
    out, log = exchange(pieces, eager=True, pause=0.02)
    assert out.count(b"200 OK") == 4
    assert [entry[2] for entry in log] == [b"", b"abc", b"", b""]
    # Every request after the first completed in the hook, and the close ends the
    # connection there. (The first may already be buffered when the connection's
    # task starts, on uvloop for instance, and is then served by the task.)
    assert len(outcomes) >= 3
    assert outcomes[:-1] == [None] * (len(outcomes) - 1)
    assert outcomes[-1] is server_module._STOP


def test_pipelined_batch_is_bounded_per_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipelining client gets at most _MAX_EAGER_REQUESTS answers per hook call."""
    per_call: list[int] = []
    on_data = HTTP1ServerConnection._on_stream_data
    serve = HTTP1ServerConnection._serve_eagerly
    count = [0]

    def counting_serve(self: HTTP1ServerConnection) -> object | None:
        count[0] += 1
        return serve(self)

    def counting_on_data(self: HTTP1ServerConnection, stream: Any) -> None:
        count[0] = 0
        on_data(self, stream)
        per_call.append(count[0])

    monkeypatch.setattr(HTTP1ServerConnection, "_serve_eagerly", counting_serve)
    monkeypatch.setattr(HTTP1ServerConnection, "_on_stream_data", counting_on_data)
    n = 3 * server_module._MAX_EAGER_REQUESTS
    get = build("/sync", None, False, False, None)
    # One request first, so that the connection waits in the hook when the batch
    # arrives (otherwise a loop may read the batch before the task first runs).
    pieces = [get, get * n + build("/sync", None, False, False, "close")]
    out, _log = exchange(pieces, eager=True, pause=0.05)
    assert out.count(b"200 OK") == n + 2
    assert per_call and max(per_call) <= server_module._MAX_EAGER_REQUESTS


def test_keep_alive_timeout_applies_after_eager_requests() -> None:
    get = build("/sync", None, False, False, None)
    start = time.monotonic()
    out, _log = exchange([get, get], eager=True, pause=0.05, keep_alive_timeout=0.3)
    elapsed = time.monotonic() - start
    assert out.count(b"200 OK") == 2  # then closed silently by the keep-alive timeout
    assert 0.3 <= elapsed < 3


def test_header_timeout_counts_from_the_start_of_the_wait() -> None:
    """The first bytes of a head arriving late do not restart ``header_timeout``."""
    start = time.monotonic()
    out, _log = exchange([b"GET / HTTP/1.1\r\n"], eager=True, header_timeout=0.4, idle_timeout=5)
    assert out == b""
    assert time.monotonic() - start < 2

    start = time.monotonic()
    out, _log = exchange(
        [b"", b"GET / HTTP/1.1\r\n"],
        eager=True,
        pause=0.3,
        header_timeout=0.5,
        idle_timeout=5,
        header_read_timeout=5,
    )
    elapsed = time.monotonic() - start
    assert out == b""
    # Closed 0.5 s after the wait began, not 0.5 s after the partial head.
    assert 0.45 <= elapsed < 0.75


def test_partial_head_then_header_read_timeout_gives_408() -> None:
    out, _log = exchange([b"GET / HTTP/1.1\r\nHost: t\r\n"], eager=True, header_read_timeout=0.2)
    assert out.startswith(b"HTTP/1.1 408 ")


@run_async
async def test_close_while_waiting_in_the_hook_ends_the_task() -> None:
    socks = bind_sockets(0, "127.0.0.1")
    app = App()
    server = ConnectionServer(HTTP1ConnectionParameters(), app)
    server.add_sockets(socks)
    port = socks[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(build("/sync", None, False, False, None))
    assert (await reader.readuntil(b"/sync:0:")).startswith(b"HTTP/1.1 200 OK")
    conn = server.conns[0]
    assert conn.idle
    assert conn._waiter is not None  # waiting in the data hook
    await asyncio.wait_for(conn.close_gracefully(), 5)
    assert await reader.read() == b""
    writer.close()
    server.stop()


@run_async
async def test_peer_closing_while_waiting_in_the_hook_ends_the_task() -> None:
    socks = bind_sockets(0, "127.0.0.1")
    server = ConnectionServer(HTTP1ConnectionParameters(), App())
    server.add_sockets(socks)
    reader, writer = await asyncio.open_connection("127.0.0.1", socks[0].getsockname()[1])
    writer.write(build("/sync", None, False, False, None))
    await reader.readuntil(b"/sync:0:")
    conn = server.conns[0]
    task = conn._serving_future
    assert task is not None
    writer.close()
    await asyncio.wait_for(task, 5)
    assert conn.stream.closed()
    server.stop()


@run_async
async def test_run_eagerly_and_resume() -> None:
    async def quick() -> int:
        return 1

    assert run_eagerly(quick()) == (True, 1)

    loop = asyncio.get_running_loop()
    gate: asyncio.Future[int] = loop.create_future()

    async def waits() -> int:
        value = await gate
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return value + 100
        return value

    done, resume = run_eagerly(waits())
    assert not done
    assert isinstance(resume, Resume)

    async def drive() -> int:
        assert isinstance(resume, Resume)
        return await resume

    task = loop.create_task(drive())
    await asyncio.sleep(0)
    gate.set_result(5)
    await asyncio.sleep(0.01)
    task.cancel()  # thrown into the coroutine, which handles it
    assert await task == 105

    failing: asyncio.Future[int] = loop.create_future()

    async def raises() -> int:
        return await failing

    done, resume = run_eagerly(raises())
    assert not done
    failing.set_exception(ValueError("x"))
    with pytest.raises(ValueError):
        await resume  # type: ignore[misc]
