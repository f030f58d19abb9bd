"""HTTPServer over real loopback sockets: framing, keep-alive, pipelining, hostile input."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import logging
import socket
from collections.abc import Callable
from typing import Any

import h11
import pytest

from squall.httpserver import HTTPServer
from squall.httputil import (
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPOutputError,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    ResponseStartLine,
)
from squall.netutil import bind_sockets


def respond(
    req: HTTPServerRequest,
    body: bytes,
    code: int = 200,
    headers: dict[str, str] | None = None,
    *,
    length: bool = True,
) -> None:
    assert req.connection is not None
    h = HTTPHeaders(headers or {})
    if length:
        h["Content-Length"] = str(len(body))
    req.connection.write_headers(
        ResponseStartLine("HTTP/1.1", code, "OK" if code == 200 else "X"), h, body
    )
    req.connection.finish()


def echo(req: HTTPServerRequest) -> None:
    info = f"{req.method} {req.path} {req.version} {req.remote_ip} {req.protocol}|".encode()
    respond(req, info + req.body)


def run(callback: Any, client: Callable[[int], Any], **server_kwargs: Any) -> Any:
    """Serve ``callback`` on a loopback port and run the blocking ``client(port)`` in a thread."""

    async def main() -> Any:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(callback, **server_kwargs)
        server.add_sockets(socks)
        try:
            return await asyncio.to_thread(client, port)
        finally:
            server.stop()
            await server.close_all_connections()

    return asyncio.run(main())


class Response:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = {n.decode().lower(): v.decode("latin-1") for n, v in headers}
        self.body = body


def exchange(
    port: int,
    data: bytes,
    count: int = 1,
    methods: list[bytes] | None = None,
    sock: socket.socket | None = None,
) -> tuple[list[Response], bool]:
    """Send raw ``data``; parse ``count`` responses with h11; report whether the server closed."""
    own = sock is None
    if sock is None:
        sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(3)
    try:
        sock.sendall(data)
        methods = methods or [b"GET"] * count
        conn = h11.Connection(h11.CLIENT)
        responses: list[Response] = []
        status, headers, body = 0, [], b""

        def send_dummy() -> None:
            conn.send(
                h11.Request(method=methods[len(responses)], target="/", headers=[("Host", "x")])
            )
            conn.send(h11.EndOfMessage())

        send_dummy()
        closed = False
        while len(responses) < count:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                chunk = sock.recv(65536)
                closed = closed or not chunk
                conn.receive_data(chunk)
            elif isinstance(event, h11.Response):
                status, headers, body = event.status_code, list(event.headers), b""
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                responses.append(Response(status, headers, body))
                if len(responses) < count:
                    conn.start_next_cycle()
                    send_dummy()
            elif isinstance(event, h11.ConnectionClosed):
                raise AssertionError("closed early")
        if not closed:
            sock.settimeout(0.1)
            try:
                closed = sock.recv(1) == b""
            except TimeoutError:
                closed = False
        return responses, closed
    finally:
        if own:
            sock.close()


def test_http11_keep_alive_and_http_client() -> None:
    def client(port: int) -> list[tuple[int, bytes]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        out = []
        for path, body in (("/a", None), ("/b", b"data"), ("/c", b"")):
            conn.request("POST" if body is not None else "GET", path, body=body)
            resp = conn.getresponse()
            out.append((resp.status, resp.read()))
        sock = conn.sock
        conn.close()
        assert sock is not None
        return out

    assert run(echo, client) == [
        (200, b"GET /a HTTP/1.1 127.0.0.1 http|"),
        (200, b"POST /b HTTP/1.1 127.0.0.1 http|data"),
        (200, b"POST /c HTTP/1.1 127.0.0.1 http|"),
    ]


def test_keep_alive_rules() -> None:
    def client(port: int) -> None:
        (r,), closed = exchange(port, b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
        assert r.status == 200 and not closed and "connection" not in r.headers
        (r,), closed = exchange(port, b"GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert closed and r.headers["connection"] == "close"
        (r,), closed = exchange(port, b"GET /1 HTTP/1.0\r\n\r\n")
        assert closed and r.body.startswith(b"GET /1 HTTP/1.0")
        (r,), closed = exchange(port, b"GET /1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        assert not closed and r.headers["connection"] == "Keep-Alive"
        # Two sequential HTTP/1.0 keep-alive requests on one socket.
        with socket.create_connection(("127.0.0.1", port)) as s:
            for path in (b"/x", b"/y"):
                (r,), closed = exchange(
                    port, b"GET " + path + b" HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", sock=s
                )
                assert not closed and r.body.startswith(b"GET " + path)

    run(echo, client)


def test_no_keep_alive_server_option() -> None:
    def client(port: int) -> None:
        (r,), closed = exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert closed and r.headers["connection"] == "close"

    run(echo, client, no_keep_alive=True)


def test_pipelined_requests_answered_in_order() -> None:
    def client(port: int) -> None:
        data = (
            b"GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
            b"POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            b"POST /third HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nxy\r\n0\r\n\r\n"
        )
        rs, closed = exchange(port, data, count=3)
        assert [r.body for r in rs] == [
            b"GET /first HTTP/1.1 127.0.0.1 http|",
            b"POST /second HTTP/1.1 127.0.0.1 http|abc",
            b"POST /third HTTP/1.1 127.0.0.1 http|xy",
        ]
        assert not closed

    run(echo, client)


def test_chunked_request_body_with_extensions_and_trailers() -> None:
    def client(port: int) -> None:
        data = (
            b"PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Checksum: 1\r\n\r\n"
        )
        (r,), _ = exchange(port, data)
        assert r.body.endswith(b"|hello world")

    run(echo, client)


def test_chunked_and_close_delimited_responses() -> None:
    def streamer(req: HTTPServerRequest) -> None:
        assert req.connection is not None
        req.connection.write_headers(
            ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(), b"part1,"
        )
        req.connection.write(b"")
        req.connection.write(b"part2")
        req.connection.finish()

    def client(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port)) as s:
            (r,), closed = exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", sock=s)
            assert r.headers["transfer-encoding"] == "chunked" and r.body == b"part1,part2"
            assert not closed
            (r,), closed = exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", sock=s)
            assert r.body == b"part1,part2"
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"chunked" not in head.lower() and b"keep-alive" not in head.lower()
        assert body == b"part1,part2"

    run(streamer, client)


def test_bodyless_responses() -> None:
    def handler(req: HTTPServerRequest) -> None:
        code = int(req.path[1:])
        headers = {"Content-Length": "5"} if req.method == "HEAD" else {}
        respond(req, b"never", code, headers, length=False)

    def client(port: int) -> None:
        for method, path in ((b"HEAD", b"/200"), (b"GET", b"/204"), (b"GET", b"/304")):
            with socket.create_connection(("127.0.0.1", port)) as s:
                (r,), closed = exchange(
                    port,
                    method + b" " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n",
                    methods=[method],
                    sock=s,
                )
                assert r.status == int(path[1:]) and r.body == b"" and not closed
                assert "transfer-encoding" not in r.headers
                # The connection is still in sync: a second request works.
                (r,), _ = exchange(
                    port,
                    method + b" " + path + b" HTTP/1.1\r\nHost: a\r\n\r\n",
                    methods=[method],
                    sock=s,
                )
                assert r.status == int(path[1:])

    run(handler, client)


HOSTILE = [
    (
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\nx",
        400,
    ),
    (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\nx", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nx", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  -1\r\n\r\nx", 400),
    (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 17 + b"\r\n",
        400,
    ),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
    (b"G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX\xff: v\r\n\r\n", 400),
    (b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
    (b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: a\r\nBig: " + b"a" * 70000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"F: v\r\n" * 101 + b"\r\n", 431),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 104857601\r\n\r\n", 413),
]


def test_hostile_input_gets_status_and_close(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def handler(req: HTTPServerRequest) -> None:
        seen.append(req.path)
        respond(req, b"ok")

    def client(port: int) -> None:
        for wire, code in HOSTILE:
            (r,), closed = exchange(port, wire)
            assert (r.status, closed) == (code, True), wire[:80]

    with caplog.at_level(logging.DEBUG):
        run(handler, client)
    assert seen == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert all(r.exc_info is None for r in caplog.records)


def test_body_limits_and_expect_continue() -> None:
    def client(port: int) -> None:
        (r,), closed = exchange(port, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n")
        assert (r.status, closed) == (413, True)
        data = (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
        )
        (r,), closed = exchange(port, data)
        assert (r.status, closed) == (413, True)
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
            )
            assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            (r,), _ = exchange(port, b"body", sock=s)
            assert r.body.endswith(b"|body")

    run(echo, client, max_body_size=10)


def test_output_validation() -> None:
    errors: list[str] = []

    def handler(req: HTTPServerRequest) -> None:
        conn = req.connection
        assert conn is not None
        for bad in (
            {"X": "a\r\nInjected: 1"},
            {"X": "a\nb"},
            {"X": "a\x00"},
            {"Bad Name": "v"},
            {"X\r\n": "v"},
        ):
            try:
                conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders(bad))
            except HTTPOutputError as e:
                errors.append(str(e))
        try:
            conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK\r\nX: y"), HTTPHeaders())
        except HTTPOutputError as e:
            errors.append(str(e))
        respond(req, b"fine")

    def client(port: int) -> None:
        (r,), _ = exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert r.body == b"fine" and "injected" not in r.headers

    run(handler, client)
    assert len(errors) == 6


def test_content_length_mismatch_closes() -> None:
    results: list[str] = []

    def handler(req: HTTPServerRequest) -> None:
        conn = req.connection
        assert conn is not None
        conn.write_headers(
            ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "2"})
        )
        try:
            conn.write(b"abc")
        except HTTPOutputError:
            results.append("too much")

    def client(port: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
            assert raw.startswith(b"HTTP/1.1 200 OK")

    run(handler, client)
    assert results == ["too much"]


def test_xheaders_and_absolute_form() -> None:
    def client(port: int) -> None:
        (r,), _ = exchange(
            port, b"GET /p HTTP/1.1\r\nHost: a\r\nX-Real-Ip: 10.1.2.3\r\nX-Scheme: https\r\n\r\n"
        )
        assert r.body == b"GET /p HTTP/1.1 10.1.2.3 https|"
        (r,), _ = exchange(
            port,
            b"GET /p HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1, 10.0.0.9\r\n"
            b"X-Forwarded-Proto: http\r\n\r\n",
        )
        assert r.body == b"GET /p HTTP/1.1 1.1.1.1 http|"
        (r,), _ = exchange(port, b"GET /p HTTP/1.1\r\nHost: a\r\nX-Real-Ip: not-an-ip\r\n\r\n")
        assert r.body == b"GET /p HTTP/1.1 127.0.0.1 http|"
        (r,), _ = exchange(port, b"GET http://example.com/abs?q=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        assert r.body == b"GET /abs HTTP/1.1 127.0.0.1 http|"

    run(echo, client, xheaders=True, trusted_downstream=["10.0.0.9"])


def test_decompress_request() -> None:
    def client(port: int) -> None:
        body = gzip.compress(b"compressed payload")
        head = (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
            % len(body)
        )
        (r,), _ = exchange(port, head + body)
        assert r.body.endswith(b"|compressed payload")
        (r,), closed = exchange(
            port,
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: 4\r\n\r\nnope",
        )
        assert (r.status, closed) == (400, True)

    run(echo, client, decompress_request=True, chunk_size=4)


class StreamingDelegate(HTTPMessageDelegate):
    def __init__(self, conn: Any, log: list[Any]) -> None:
        self.conn = conn
        self.log = log

    def headers_received(self, start_line: Any, headers: HTTPHeaders) -> Any:
        self.log.append(("headers", start_line.path))

        async def later() -> None:
            await asyncio.sleep(0.01)

        return later()

    def data_received(self, chunk: bytes) -> None:
        self.log.append(("data", chunk))

    def finish(self) -> None:
        self.log.append(("finish",))
        self.conn.write_headers(
            ResponseStartLine("HTTP/1.1", 201, "Created"), HTTPHeaders(), b"streamed"
        )
        self.conn.finish()

    def on_connection_close(self) -> None:
        self.log.append(("close",))


def test_connection_delegate_streaming() -> None:
    log: list[Any] = []
    closes: list[object] = []

    class App(HTTPServerConnectionDelegate):
        def start_request(self, server_conn: object, request_conn: Any) -> HTTPMessageDelegate:
            return StreamingDelegate(request_conn, log)

        def on_close(self, server_conn: object) -> None:
            closes.append(server_conn)

    def client(port: int) -> None:
        data = (
            b"POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
        )
        (r,), _ = exchange(port, data)
        assert (r.status, r.body) == (201, b"streamed")
        assert r.headers["transfer-encoding"] == "chunked"

    run(App(), client, chunk_size=2)
    assert log == [
        ("headers", "/s"),
        ("data", b"ab"),
        ("data", b"c"),
        ("data", b"de"),
        ("data", b"f"),
        ("finish",),
    ]


def test_idle_timeout_and_close_all_connections() -> None:
    async def main() -> None:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(echo, idle_connection_timeout=0.2)
        server.add_sockets(socks)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /partial HTTP/1.1\r\n")
        first = await asyncio.wait_for(reader.readuntil(b"http|"), 2)
        assert first.startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(reader.read(), 2) == b""  # idle timeout closed it
        writer.close()
        await writer.wait_closed()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"http|"), 2)
        server.stop()
        await server.close_all_connections()
        assert await asyncio.wait_for(reader.read(), 2) == b""
        assert not server._connections
        writer.close()
        await writer.wait_closed()

    asyncio.run(main())


def test_field_line_limit_is_431_and_configurable() -> None:
    big = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"v" * (9 * 1024) + b"\r\n\r\n"

    def refused(port: int) -> None:
        (r,), closed = exchange(port, big)
        assert r.status == 431
        assert closed

    def accepted(port: int) -> None:
        (r,), _ = exchange(port, big)
        assert r.status == 200

    run(echo, refused)  # 8 KiB by default
    run(echo, accepted, max_field_size=16 * 1024)
