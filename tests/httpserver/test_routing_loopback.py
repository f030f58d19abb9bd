"""RuleRouter behind a real HTTPServer on loopback, driven by http.client."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
from collections.abc import Callable
from typing import Any

from squall.httpserver import HTTPServer
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)
from squall.netutil import bind_sockets
from squall.routing import (
    AnyMatches,
    HostMatches,
    PathMatches,
    ReversibleRuleRouter,
    Router,
    Rule,
    RuleRouter,
)


def respond(req: HTTPServerRequest, text: str, code: int = 200) -> None:
    assert req.connection is not None
    body = text.encode()
    headers = HTTPHeaders({"Content-Length": str(len(body))})
    req.connection.write_headers(ResponseStartLine("HTTP/1.1", code, "OK"), headers, body)
    req.connection.finish()


def labelled(label: str) -> Callable[..., None]:
    def callback(req: HTTPServerRequest, **params: Any) -> None:
        extra = f" {sorted(params)}" if params else ""
        respond(req, f"{label} {req.method} {req.path} {req.body.decode()}{extra}")

    return callback


class Streaming(HTTPServerConnectionDelegate):
    """A raw delegate target: counts body chunks itself (no buffering by the router)."""

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> Any:
        return _Counter(request_conn)


class _Counter(HTTPMessageDelegate):
    def __init__(self, conn: HTTPConnection) -> None:
        self.conn = conn
        self.size = 0
        self.path = ""

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> None:
        assert isinstance(start_line, RequestStartLine)
        self.path = start_line.path

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)

    def finish(self) -> None:
        body = f"delegate {self.path} {self.size}".encode()
        headers = HTTPHeaders({"Content-Length": str(len(body))})
        self.conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
        self.conn.finish()


class MethodRouter(Router):
    """A custom Router: dispatches on the method alone."""

    def find_handler(
        self, request: HTTPServerRequest, **kwargs: Any
    ) -> HTTPMessageDelegate | None:
        if request.method == "DELETE":
            assert request.connection is not None
            return RuleRouter().get_target_delegate(labelled("method-router"), request)
        return None


def build_router() -> ReversibleRuleRouter:
    return ReversibleRuleRouter(
        [
            Rule(HostMatches(r"api\.test"), [(r"/v1/(\w+)", labelled("api"), {}, "api")]),
            (r"/stream", Streaming()),
            (AnyMatches(), MethodRouter()),
            (PathMatches(r"/nested/.*"), [(r"/nested/(?P<leaf>\w+)", labelled("nested"))]),
            (r"/plain", labelled("plain"), {}, "plain"),
        ]
    )


def serve(router: Router, client: Callable[[int], Any]) -> Any:
    async def main() -> Any:
        socks = bind_sockets(0, "127.0.0.1")
        port = socks[0].getsockname()[1]
        server = HTTPServer(router)
        server.add_sockets(socks)
        try:
            return await asyncio.wait_for(asyncio.to_thread(client, port), 20)
        finally:
            server.stop()
            await server.close_all_connections()

    return asyncio.run(main())


def calls(port: int, items: list[tuple[str, str, str, bytes | None]]) -> list[tuple[int, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    with contextlib.closing(conn):
        for method, host, path, body in items:
            conn.request(method, path, body=body, headers={"Host": host})
            resp = conn.getresponse()
            out.append((resp.status, resp.read().decode()))
    return out


def test_rule_router_over_loopback() -> None:
    router = build_router()
    results = serve(
        router,
        lambda port: calls(
            port,
            [
                ("GET", "api.test:80", "/v1/users", None),
                ("GET", "www.test", "/v1/users", None),  # host rule does not match
                ("POST", "www.test", "/plain", b"hello"),
                ("POST", "www.test", "/stream", b"x" * 100_000),
                ("DELETE", "www.test", "/anything", None),
                ("GET", "www.test", "/nested/leaf", None),
                ("GET", "www.test", "/nested/no/such", None),
                ("GET", "www.test", "/plain", None),  # keep-alive survives the 404s
            ],
        ),
    )
    assert results == [
        (200, "api GET /v1/users  ['path_args', 'path_kwargs']"),
        (404, ""),
        (200, "plain POST /plain hello"),
        (200, "delegate /stream 100000"),
        (200, "method-router DELETE /anything "),
        (200, "nested GET /nested/leaf  ['path_args', 'path_kwargs']"),
        (404, ""),
        (200, "plain GET /plain "),
    ]
    assert router.reverse_url("api", "users") == "/v1/users"
    assert router.reverse_url("plain") == "/plain"


def test_router_mounts_web_style_delegates_and_routers() -> None:
    inner = RuleRouter([(r"/in/(\d+)", labelled("inner"))])
    outer = RuleRouter([Rule(PathMatches(r"/in/.*"), inner), (r"/other", labelled("o"))])
    results = serve(
        outer,
        lambda port: calls(
            port,
            [("GET", "h", "/in/5", None), ("PUT", "h", "/other", b"b"), ("GET", "h", "/", None)],
        ),
    )
    assert results == [
        (200, "inner GET /in/5  ['path_args', 'path_kwargs']"),
        (200, "o PUT /other b"),
        (404, ""),
    ]
