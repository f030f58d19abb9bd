"""WSGIContainer running a real Flask application, driven by http.client over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import threading
import time
import wsgiref.validate
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.netutil import bind_sockets
from squall.wsgi import WSGIContainer

flask = pytest.importorskip("flask")

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def make_app(release: threading.Event) -> Any:
    app = flask.Flask("squall_wsgi_test")

    def hello() -> str:
        return f"hello {flask.request.args.get('name', '?')}"

    def form() -> dict[str, Any]:
        request = flask.request
        return {"form": request.form.to_dict(flat=False), "len": request.content_length}

    def headers() -> Any:
        resp = flask.make_response(flask.request.headers.get("X-Echo", "none"))
        resp.headers["X-Reply"] = "yes"
        return resp

    def stream() -> Any:
        def generate() -> Iterator[str]:
            yield "first;"
            # Only reachable once the client has seen the first chunk: proves streaming.
            yield "second;" if release.wait(5) else "buffered!"

        return flask.Response(flask.stream_with_context(generate()), mimetype="text/plain")

    def boom() -> str:
        raise RuntimeError("boom")

    def snowman(word: str) -> str:
        return f"{flask.request.path}|{word}"

    app.add_url_rule("/hello", view_func=hello)
    app.add_url_rule("/form", view_func=form, methods=["POST"])
    app.add_url_rule("/headers", view_func=headers, methods=["GET", "HEAD"])
    app.add_url_rule("/stream", view_func=stream)
    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/snowman/<word>", view_func=snowman)
    return app


def serve(container: WSGIContainer, client: Callable[[int], Any]) -> Any:
    async def main() -> Any:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(container)
        server.add_sockets(socks)
        try:
            return await asyncio.wait_for(asyncio.to_thread(client, port), 20)
        finally:
            server.stop()
            # Let in-flight requests finish (the WSGI close() runs after the
            # client has its body) before the loop and the pool go away.
            await server.close_all_connections(timeout=5)

    return asyncio.run(main())


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def one(port: int, method: str, path: str, body: Any = None, **headers: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with contextlib.closing(conn):
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as executor:
        yield executor


def test_get_post_headers_and_errors(pool: ThreadPoolExecutor) -> None:
    container = WSGIContainer(make_app(threading.Event()), executor=pool)

    def client(port: int) -> list[Any]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        out = []
        with contextlib.closing(conn):  # all on one keep-alive connection
            for method, path, body, headers in [
                ("GET", "/hello?name=squall%20x", None, {}),
                (
                    "POST",
                    "/form",
                    "a=1&a=2&b=%E2%98%83",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                ),
                ("GET", "/headers", None, {"X-Echo": "ping"}),
                ("HEAD", "/headers", None, {}),
                ("GET", "/boom", None, {}),
                ("GET", "/missing", None, {}),
                ("GET", "/snowman/%E2%98%83", None, {}),
            ]:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                out.append((resp.status, dict(resp.getheaders()), resp.read()))
        return out

    hello, form, headers, head, boom, missing, snowman = serve(container, client)
    assert hello[0] == 200 and hello[2] == b"hello squall x"
    assert hello[1]["Server"].startswith("SquallServer/")
    assert hello[1]["Content-Length"] == str(len(hello[2]))
    assert form[0] == 200
    assert flask.json.loads(form[2]) == {"form": {"a": ["1", "2"], "b": ["☃"]}, "len": 19}
    assert headers[2] == b"ping" and headers[1]["X-Reply"] == "yes"
    assert head[0] == 200 and head[2] == b"" and head[1]["Content-Length"] == "4"
    assert boom[0] == 500 and b"Internal Server Error" in boom[2]
    assert missing[0] == 404
    assert snowman[2] == "/snowman/☃|☃".encode()


def test_chunked_request_body_reaches_flask(pool: ThreadPoolExecutor) -> None:
    container = WSGIContainer(make_app(threading.Event()), executor=pool)

    def client(port: int) -> Any:
        body = iter([b"a=x", b"yz&c=", b"3"])
        return one(
            port, "POST", "/form", body, **{"Content-Type": "application/x-www-form-urlencoded"}
        )

    status, _headers, body = serve(container, client)
    assert status == 200
    assert flask.json.loads(body) == {"form": {"a": ["xyz"], "c": ["3"]}, "len": 9}


def test_streaming_response_is_sent_while_generated(pool: ThreadPoolExecutor) -> None:
    release = threading.Event()
    container = WSGIContainer(make_app(release), executor=pool)

    def client(port: int) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with contextlib.closing(conn):
            conn.request("GET", "/stream")
            resp = conn.getresponse()
            first = resp.read(len(b"first;"))
            release.set()
            return resp.status, resp.getheader("Transfer-Encoding"), first, resp.read()

    status, encoding, first, rest = serve(container, client)
    assert (status, encoding, first, rest) == (200, "chunked", b"first;", b"second;")


def test_flask_app_under_pep3333_validator(pool: ThreadPoolExecutor) -> None:
    # wsgiref's validator checks the server's side (environ, start_response, close)
    # as well as the app's. (Flask itself trips it when it reads a body with
    # read() and no size, which PEP 3333 does not allow apps to rely on, so only
    # body-less requests go through Flask here; test_wsgi_pep3333 covers bodies.)
    app = make_app(threading.Event())
    validated = wsgiref.validate.validator(app)
    returned: list[Any] = []

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        # Keep every response iterable so the test checks close() itself,
        # instead of the validator asserting it whenever the GC gets to it.
        returned.append(validated(environ, start_response))
        return returned[-1]

    container = WSGIContainer(recording, executor=pool)

    def client(port: int) -> list[Any]:
        return [
            one(port, "GET", "/missing"),
            one(port, "GET", "/hello?name=v"),
            one(port, "GET", "/headers", **{"X-Echo": "e", "Cookie": "a=1"}),
        ]

    results = serve(container, client)
    assert [r[0] for r in results] == [404, 200, 200]
    assert len(returned) == 3
    # http.client may hang up as soon as it has the body; close() then still runs
    # on the pool, possibly just after the server loop has gone.
    ok = wait_until(lambda: all(iterable.closed for iterable in returned))
    assert ok, [(type(i.original_iterator).__name__, i.closed) for i in returned]
    assert results[1][2] == b"hello v"
