"""WSGIContainer and PEP 3333 with hand-written apps over loopback (no framework)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
import sys
import threading
import time
import wsgiref.validate
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.netutil import bind_sockets
from squall.routing import RuleRouter
from squall.wsgi import WSGIContainer

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def serve(target: Any, client: Callable[[int], Any]) -> Any:
    async def main() -> Any:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(target)
        server.add_sockets(socks)
        try:
            return await asyncio.wait_for(asyncio.to_thread(client, port), 20)
        finally:
            server.stop()
            # Let in-flight requests finish (the WSGI close() runs after the
            # client has its body) before the loop and the pool go away.
            await server.close_all_connections(timeout=5)

    return asyncio.run(main())


def one(port: int, method: str, path: str, body: Any = None, **headers: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with contextlib.closing(conn):
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def test_environ(pool: ThreadPoolExecutor) -> None:
    seen: list[Environ] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        seen.append(dict(environ, body=environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    raw = (
        b"POST /p%C3%A9/x%2Fy?q=1&r=%20 HTTP/1.1\r\nHost: [::1]:8080\r\n"
        b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n"
        b"X_Spoof: evil\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )

    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(raw)
            return sock.recv(65536)

    reply = serve(WSGIContainer(app, executor=pool), client)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    env = seen[0]
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == ""
    assert env["PATH_INFO"] == "/p\xc3\xa9/x/y"  # bytes as Latin-1 (PEP 3333)
    assert env["QUERY_STRING"] == "q=1&r=%20"
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("::1", "8080")
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_SOFTWARE"].startswith("SquallServer/")
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["CONTENT_TYPE"] == "text/plain"
    assert env["CONTENT_LENGTH"] == "5"
    assert env["body"] == b"abcde"
    assert env["HTTP_X_A"] == "1,2"
    assert env["HTTP_COOKIE"] == "a=1; b=2"
    assert "HTTP_X_SPOOF" not in env
    assert "HTTP_TRANSFER_ENCODING" not in env
    assert "HTTP_CONTENT_TYPE" not in env
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.errors"] is sys.stderr
    assert env["wsgi.multithread"] is True
    assert env["wsgi.multiprocess"] is True
    assert env["wsgi.run_once"] is False


def test_validator_write_generator_and_close(pool: ThreadPoolExecutor) -> None:
    closed = threading.Event()

    class Body:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def __iter__(self) -> Iterator[bytes]:
            yield b""  # empty chunks do not trigger the headers
            yield self.data
            yield b"|end"

        def close(self) -> None:
            closed.set()

    def app(environ: Environ, start_response: StartResponse) -> Body:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(size)
        write = start_response("201 Created", [("Content-Type", "text/plain")])
        write(b"written|")
        return Body(data)

    validated = wsgiref.validate.validator(app)
    returned: list[Any] = []

    def recording(environ: Environ, start_response: StartResponse) -> Any:
        # Keep the response iterable so the test checks close() itself,
        # instead of the validator asserting it whenever the GC gets to it.
        returned.append(validated(environ, start_response))
        return returned[-1]

    container = WSGIContainer(recording, executor=pool)
    status, headers, body = serve(container, lambda port: one(port, "PUT", "/x", b"payload"))
    assert (status, body) == (201, b"written|payload|end")
    assert headers["Transfer-Encoding"] == "chunked"
    assert closed.is_set()
    assert [iterable.closed for iterable in returned] == [True]


def test_list_bodies_get_content_length_and_defaults() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        path = environ["PATH_INFO"]
        if path == "/empty":
            start_response("204 No Content", [])
            return []
        if path == "/custom":
            start_response("200 OK", [("Server", "mine"), ("Content-Type", "x/y")])
            return [b"a", b"b"]
        start_response("200 OK", [])
        return [b"hello ", b"world"]

    def client(port: int) -> list[Any]:
        return [one(port, "GET", p) for p in ("/", "/empty", "/custom")]

    plain, empty, custom = serve(WSGIContainer(app), client)
    assert plain[2] == b"hello world"
    assert plain[1]["Content-Length"] == "11"
    assert plain[1]["Content-Type"] == "text/html; charset=UTF-8"
    assert plain[1]["Server"].startswith("SquallServer/")
    assert empty[0] == 204 and "Content-Length" not in empty[1]
    assert (custom[1]["Server"], custom[1]["Content-Type"], custom[2]) == ("mine", "x/y", b"ab")


def test_default_executor_runs_on_the_loop_thread() -> None:
    threads: list[int] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        threads.append(threading.get_ident())
        start_response("200 OK", [])
        return [str(environ["wsgi.multithread"]).encode()]

    async def main() -> tuple[int, Any]:
        socks = bind_sockets(0, "127.0.0.1")
        server = HTTPServer(WSGIContainer(app))
        server.add_sockets(socks)
        try:
            port = socks[0].getsockname()[1]
            result = await asyncio.to_thread(one, port, "GET", "/")
            return threading.get_ident(), result
        finally:
            server.stop()
            # Let in-flight requests finish (the WSGI close() runs after the
            # client has its body) before the loop and the pool go away.
            await server.close_all_connections(timeout=5)

    loop_thread, (status, _headers, body) = asyncio.run(main())
    assert (status, body) == (200, b"False")
    assert threads == [loop_thread]


def _boom_before(environ: Environ, start_response: StartResponse) -> list[bytes]:
    raise ValueError("before start_response")


def _no_start(environ: Environ, start_response: StartResponse) -> list[bytes]:
    return [b"never started"]


def _hop_by_hop(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Connection", "close")])
    return [b"x"]


def _bad_header_value(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("X-Split", "a\r\nInjected: 1")])
    return [b"x"]


def _exc_info_before_send(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise KeyError("late failure")
    except KeyError:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"sorry"]


@pytest.mark.parametrize(
    "app", [_boom_before, _no_start, _hop_by_hop, _bad_header_value], ids=lambda f: f.__name__
)
def test_errors_before_sending_answer_500(
    app: Any, pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    status, headers, body = serve(WSGIContainer(app, executor=pool), lambda p: one(p, "GET", "/"))
    assert status == 500
    assert b"500: Internal Server Error" in body
    assert "Injected" not in headers
    assert "Uncaught exception in WSGI application" in caplog.text
    caplog.clear()


def test_exc_info_replaces_unsent_status(pool: ThreadPoolExecutor) -> None:
    status, _headers, body = serve(
        WSGIContainer(_exc_info_before_send, executor=pool), lambda p: one(p, "GET", "/")
    )
    assert (status, body) == (503, b"sorry")


def test_error_after_headers_closes_the_connection(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"partial"
        try:
            raise OSError("disk gone")
        except OSError:
            # PEP 3333: once headers are out, start_response re-raises exc_info.
            start_response("500 Oops", [], sys.exc_info())
        yield b"unreachable"

    def client(port: int) -> Any:
        with pytest.raises(http.client.IncompleteRead) as info:
            one(port, "GET", "/")
        return info.value.partial

    assert serve(WSGIContainer(app, executor=pool), client) == b"partial"
    assert "disk gone" in caplog.text


def test_client_disconnect_stops_the_iterable_and_closes_it(pool: ThreadPoolExecutor) -> None:
    produced = 0
    closed = threading.Event()

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        nonlocal produced
        start_response("200 OK", [])
        try:
            while True:
                produced += 1
                time.sleep(0.002)
                yield b"x" * 65536
        finally:
            closed.set()

    def client(port: int) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read(1000)
        resp.close()
        conn.close()
        return closed.wait(5)

    assert serve(WSGIContainer(app, executor=pool), client) is True
    assert produced < 1000


def test_callable_target_in_rule_router(pool: ThreadPoolExecutor) -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    router = RuleRouter([(r"/wsgi/.*", WSGIContainer(app, executor=pool))])
    results = serve(router, lambda p: [one(p, "GET", "/wsgi/a"), one(p, "GET", "/other")])
    assert [(r[0], r[2]) for r in results] == [(200, b"/wsgi/a"), (404, b"")]
