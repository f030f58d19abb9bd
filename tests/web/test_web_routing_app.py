"""Application as a ReversibleRouter: Tornado's rule forms, nesting, FallbackHandler + WSGI."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.netutil import bind_sockets
from squall.routing import (
    AnyMatches,
    HostMatches,
    PathMatches,
    ReversibleRouter,
    ReversibleRuleRouter,
    Rule,
    RuleRouter,
)
from squall.routing import URLSpec as RoutingURLSpec
from squall.web import (
    Application,
    ErrorHandler,
    FallbackHandler,
    RequestHandler,
    URLSpec,
    url,
)
from squall.wsgi import WSGIContainer


class Echo(RequestHandler):
    def initialize(self, label: str = "echo") -> None:
        self.label = label

    def get(self, *args: str, **kwargs: str) -> None:
        self.write(f"{self.label}:{self.request.path}:{list(args)}:{sorted(kwargs.items())}")

    def post(self, *args: str, **kwargs: str) -> None:
        self.write(f"{self.label}-post:{self.request.body.decode()}")


def plain_callable(request: HTTPServerRequest) -> None:
    assert request.connection is not None
    body = f"callable:{request.method}:{request.body.decode()}".encode()
    headers = HTTPHeaders({"Content-Length": str(len(body))})
    request.connection.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
    request.connection.finish()


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size)
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Wsgi", "1")])
    return [f"wsgi:{environ['REQUEST_METHOD']}:{environ['PATH_INFO']}:".encode(), body]


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
            await server.close_all_connections()

    return asyncio.run(main())


def calls(port: int, items: list[tuple[str, str, str | None, dict[str, str]]]) -> list[Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    with contextlib.closing(conn):
        for method, path, body, headers in items:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            out.append((resp.status, resp.getheader("X-Wsgi"), resp.read().decode()))
    return out


NOT_FOUND = "<html><head><title>404: Not Found</title></head><body>404: Not Found</body></html>"


def test_web_urlspec_is_the_routing_urlspec() -> None:
    assert URLSpec is RoutingURLSpec
    assert url is RoutingURLSpec
    assert issubclass(Application, ReversibleRouter)
    app = Application([(r"/a", Echo)])
    assert isinstance(app.wildcard_router, ReversibleRuleRouter)
    assert isinstance(app.default_router, ReversibleRuleRouter)
    assert isinstance(app.wildcard_router.rules[0], Rule)


def test_every_rule_form_over_loopback() -> None:
    sub_app = Application([(r"/sub/(\w+)", Echo, {"label": "sub-app"})])
    with ThreadPoolExecutor(2) as pool:
        container = WSGIContainer(wsgi_app, executor=pool)
        app = Application(
            [
                (r"/t/(\d+)", Echo, {"label": "tuple"}, "t"),
                url(r"/u/(?P<x>\w+)", Echo, {"label": "urlspec"}, name="u"),
                Rule(PathMatches(r"/rule"), Echo, {"label": "rule"}),
                (HostMatches(r"only\.test"), Echo, {"label": "host"}),
                (PathMatches(r"/nest/.*"), [(r"/nest/(\w+)", Echo, {"label": "nested"}, "n")]),
                (r"/sub/.*", sub_app),
                (r"/router/.*", RuleRouter([(r"/router/x", plain_callable)])),
                (r"/call", plain_callable),
                (r"/wsgi/.*", FallbackHandler, {"fallback": container}),
                Rule(AnyMatches(), [(r"/any", Echo, {"label": "any"})]),
            ]
        )
        results = serve(
            app,
            lambda port: calls(
                port,
                [
                    ("GET", "/t/42", None, {}),
                    ("GET", "/u/bob", None, {}),
                    ("GET", "/rule", None, {}),
                    ("GET", "/whatever", None, {"Host": "only.test"}),
                    ("GET", "/nest/deep", None, {}),
                    ("GET", "/sub/app", None, {}),
                    ("POST", "/router/x", "rb", {}),
                    ("POST", "/call", "cb", {}),
                    ("POST", "/wsgi/here", "wb", {}),
                    ("GET", "/wsgi/there?q=1", None, {}),
                    ("GET", "/any", None, {}),
                    ("GET", "/router/none", None, {}),
                    ("GET", "/nowhere", None, {}),
                ],
            ),
        )
    assert results == [
        (200, None, "tuple:/t/42:['42']:[]"),
        (200, None, "urlspec:/u/bob:[]:[('x', 'bob')]"),
        (200, None, "rule:/rule:[]:[]"),
        (200, None, "host:/whatever:[]:[]"),
        (200, None, "nested:/nest/deep:['deep']:[]"),
        (200, None, "sub-app:/sub/app:['app']:[]"),
        (200, None, "callable:POST:rb"),
        (200, None, "callable:POST:cb"),
        (200, "1", "wsgi:POST:/wsgi/here:wb"),
        (200, "1", "wsgi:GET:/wsgi/there:"),
        (200, None, "any:/any:[]:[]"),
        # A nested router with no match falls through to the app's 404 page.
        (404, None, NOT_FOUND),
        (404, None, NOT_FOUND),
    ]
    assert app.reverse_url("t", 7) == "/t/7"
    assert app.reverse_url("u", "a b") == "/u/a%20b"
    assert app.reverse_url("n", "x") == "/nest/x"
    with pytest.raises(KeyError):
        app.reverse_url("absent")


def test_application_inside_a_rule_router_by_host() -> None:
    api = Application([(r"/v1/(\w+)", Echo, {"label": "api"}, "api")])
    site = Application([(r"/.*", Echo, {"label": "site"})])
    router = ReversibleRuleRouter([Rule(HostMatches(r"api\.test"), api), Rule(AnyMatches(), site)])
    results = serve(
        router,
        lambda port: calls(
            port,
            [("GET", "/v1/users", None, {"Host": "api.test"}), ("GET", "/v1/users", None, {})],
        ),
    )
    assert [r[2] for r in results] == ["api:/v1/users:['users']:[]", "site:/v1/users:[]:[]"]
    # An Application is a ReversibleRouter: a parent router reverses through it.
    assert router.reverse_url("api", "x") == "/v1/x"


def test_add_handlers_host_order_and_default_host() -> None:
    app = Application([(r"/", Echo, {"label": "wild"})], default_host="main.test")
    app.add_handlers(r"main\.test", [(r"/only", Echo, {"label": "main"}, "only")])
    app.add_handlers(r"second\.test", [(r"/", Echo, {"label": "second"})])
    assert len(app.default_router.rules) == 3
    assert isinstance(app.default_router.rules[-1].matcher, AnyMatches)

    def handler_label(host: str, path: str, **headers: str) -> Any:
        hdrs = HTTPHeaders({"Host": host, **headers})
        delegate = app.find_handler(HTTPServerRequest(method="GET", uri=path, headers=hdrs))
        return delegate.handler_class, delegate.handler_kwargs.get("label")

    assert handler_label("second.test", "/") == (Echo, "second")  # host rules first
    assert handler_label("main.test", "/") == (Echo, "wild")
    assert handler_label("else.test", "/only") == (Echo, "main")  # via default_host
    assert handler_label("else.test", "/only", **{"X-Real-Ip": "1.1.1.1"})[0] is ErrorHandler
    assert app.reverse_url("only") == "/only"


def test_names_are_unique_across_nested_routers() -> None:
    with pytest.raises(ValueError, match="Multiple handlers named n"):
        Application([(r"/a", Echo, {}, "n"), (PathMatches(r"/b.*"), [(r"/b", Echo, {}, "n")])])
    app = Application([(r"/a", Echo, {}, "n")])
    with pytest.raises(ValueError, match="Multiple handlers named n"):
        app.add_handlers(r".*", [(r"/c", Echo, {}, "n")])


def test_invalid_targets_are_rejected() -> None:
    with pytest.raises(TypeError, match="not a RequestHandler"):
        Application([(r"/", dict)])
    with pytest.raises(TypeError, match="Invalid route target"):
        Application([(r"/", 42)])
    with pytest.raises(TypeError):
        Application([(42, Echo)])  # type: ignore[list-item]


def test_application_call_replays_into_non_handler_targets() -> None:
    seen: list[tuple[str, bytes]] = []

    def target(request: HTTPServerRequest) -> None:
        seen.append((request.path, request.body))

    class FakeConnection:
        def set_close_callback(self, callback: object) -> None:
            pass

    app = Application([(r"/cb", target)])

    async def main() -> None:
        request = HTTPServerRequest(
            method="POST",
            uri="/cb",
            body=b"payload",
            headers=HTTPHeaders({"Content-Length": "7"}),
            connection=FakeConnection(),  # type: ignore[arg-type]
        )
        result = app(request)
        assert result is not None
        await result

    asyncio.run(main())
    assert seen == [("/cb", b"payload")]
