"""Handlers over real loopback sockets: routing, arguments, methods, lifecycle hooks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from squall.web import (
    Application,
    Finish,
    RequestHandler,
    addslash,
    removeslash,
    stream_request_body,
)


class Hello(RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


class Echo(RequestHandler):
    def initialize(self, prefix: str = "") -> None:
        self.prefix = prefix

    def get(self, *args: str, **kwargs: str) -> None:
        self.write({"prefix": self.prefix, "args": list(args), "kwargs": kwargs})


class Args(RequestHandler):
    def get(self) -> None:
        self.write(
            {
                "all": self.get_arguments("a"),
                "one": self.get_argument("a"),
                "opt": self.get_argument("opt", None),
            }
        )

    def post(self) -> None:
        self.write(
            {
                "body": self.get_body_arguments("a"),
                "query": self.get_query_arguments("a"),
                "all": self.get_arguments("a"),
                "raw": self.request.body.decode(),
            }
        )


class Methods(RequestHandler):
    def get(self) -> None:
        self.write("get")

    def head(self) -> None:
        self.set_header("X-Head", "yes")
        self.write("this body is never sent")

    async def put(self) -> None:
        await asyncio.sleep(0.01)
        self.write(b"put:" + self.request.body)

    def delete(self) -> None:
        self.set_status(204)

    def patch(self) -> None:
        self.write("patch")

    def options(self) -> None:
        self.set_header("Allow", "GET, PUT")
        self.set_status(204)


class Lifecycle(RequestHandler):
    events: list[str] = []  # noqa: RUF012

    async def prepare(self) -> None:
        await asyncio.sleep(0)
        self.events.append("prepare")
        if self.get_argument("stop", None):
            self.finish("stopped in prepare")

    def get(self) -> None:
        self.events.append("get")
        self.write("ran")

    def on_finish(self) -> None:
        self.events.append("finish")


class Slashes(RequestHandler):
    @removeslash
    def get(self) -> None:
        self.write("no-slash " + (self.request.path or ""))


class AddSlash(RequestHandler):
    @addslash
    def get(self) -> None:
        self.write("slash " + (self.request.path or ""))


class Finisher(RequestHandler):
    def get(self) -> None:
        self.set_status(202)
        self.set_header("X-Kept", "1")
        raise Finish("early")


@stream_request_body
class Streaming(RequestHandler):
    def prepare(self) -> None:
        self.chunks: list[bytes] = []

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def put(self) -> None:
        body = b"".join(self.chunks)
        self.write({"len": len(body), "body_attr": len(self.request.body or b"")})


def test_hello(web: Any) -> None:
    resp = web.fetch(Application([(r"/", Hello)]), "GET", "/")
    assert resp.status == 200
    assert resp.body == b"Hello, world"
    assert resp.header("Content-Type") == "text/html; charset=UTF-8"
    assert resp.header("Content-Length") == "12"
    assert resp.header("Server").startswith("SquallServer/")
    assert resp.header("Date").endswith("GMT")
    assert resp.header("Etag").startswith('"')


def test_path_args_and_initialize_kwargs(web: Any) -> None:
    app = Application(
        [
            (r"/pos/([^/]+)/(\d+)", Echo, {"prefix": "p"}),
            (r"/named/(?P<first>[^/]+)/(?P<second>[^/]*)", Echo),
        ]
    )
    pos, named = web.fetch_all(
        app, [("GET", "/pos/a%20b%2Fc/42"), ("GET", "/named/%E2%98%83/x+y")]
    )
    assert json.loads(pos.body) == {"prefix": "p", "args": ["a b/c", "42"], "kwargs": {}}
    assert json.loads(named.body) == {
        "prefix": "",
        "args": [],
        "kwargs": {"first": "☃", "second": "x+y"},
    }


def test_bad_utf8_in_path_is_400(web: Any) -> None:
    resp = web.fetch(Application([(r"/p/(.*)", Echo)]), "GET", "/p/%FF")
    assert resp.status == 400


def test_query_and_body_arguments(web: Any) -> None:
    app = Application([(r"/args", Args)])
    get, post, missing = web.fetch_all(
        app,
        [
            ("GET", "/args?a=1&a=+two+&opt=%C3%A9"),
            (
                "POST",
                "/args?a=q",
                "a=b1&a=b%262",
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
            ("GET", "/args?b=1"),
        ],
    )
    assert json.loads(get.body) == {"all": ["1", "two"], "one": "two", "opt": "é"}
    assert json.loads(post.body) == {
        "body": ["b1", "b&2"],
        "query": ["q"],
        "all": ["q", "b1", "b&2"],
        "raw": "a=b1&a=b%262",
    }
    assert missing.status == 400
    assert b"400: Bad Request" in missing.body


def test_every_method(web: Any) -> None:
    app = Application([(r"/m", Methods)])
    calls = [
        ("GET", "/m"),
        ("HEAD", "/m"),
        ("PUT", "/m", b"data"),
        ("DELETE", "/m"),
        ("PATCH", "/m", b""),
        ("OPTIONS", "/m"),
        ("POST", "/m", b""),
    ]
    get, head, put, delete, patch, options, post = web.fetch_all(app, calls)
    assert (get.status, get.body) == (200, b"get")
    assert head.status == 200
    assert head.body == b""
    assert head.header("X-Head") == "yes"
    assert head.header("Content-Length") == str(len("this body is never sent"))
    assert (put.status, put.body) == (200, b"put:data")
    assert delete.status == 204
    assert delete.body == b""
    assert delete.header("Content-Type") is None
    assert delete.header("Content-Length") is None
    assert (patch.status, patch.body) == (200, b"patch")
    assert options.status == 204
    assert options.header("Allow") == "GET, PUT"
    assert post.status == 405
    assert b"405: Method Not Allowed" in post.body


def test_unsupported_method_is_405(web: Any) -> None:
    class OnlyGet(RequestHandler):
        SUPPORTED_METHODS = ("GET",)

        def get(self) -> None:
            self.write("ok")

        def post(self) -> None:
            self.write("never")

    app = Application([(r"/", OnlyGet), (r"/m", Methods)])
    post, propfind = web.fetch_all(app, [("POST", "/", b""), ("PROPFIND", "/m")])
    assert post.status == 405
    assert propfind.status == 405


def test_unknown_path_is_404(web: Any) -> None:
    resp = web.fetch(Application([(r"/", Hello)]), "GET", "/missing")
    assert resp.status == 404
    assert b"404: Not Found" in resp.body
    assert resp.header("Content-Type") == "text/html; charset=UTF-8"


def test_prepare_on_finish_and_early_finish(web: Any) -> None:
    Lifecycle.events = []
    app = Application([(r"/", Lifecycle)])
    normal, stopped = web.fetch_all(app, [("GET", "/"), ("GET", "/?stop=1")])
    assert normal.body == b"ran"
    assert stopped.body == b"stopped in prepare"
    assert Lifecycle.events == ["prepare", "get", "finish", "prepare", "finish"]


def test_finish_exception_keeps_status_and_headers(web: Any) -> None:
    resp = web.fetch(Application([(r"/", Finisher)]), "GET", "/")
    assert (resp.status, resp.body) == (202, b"early")
    assert resp.header("X-Kept") == "1"


def test_removeslash_and_addslash(web: Any) -> None:
    app = Application([(r"/r/*", Slashes), (r"/a/?", AddSlash)])
    r1, r2, a1, a2 = web.fetch_all(
        app, [("GET", "/r/?x=1"), ("GET", "/r"), ("GET", "/a?y=2"), ("GET", "/a/")]
    )
    assert (r1.status, r1.header("Location")) == (301, "/r?x=1")
    assert r2.body == b"no-slash /r"
    assert (a1.status, a1.header("Location")) == (301, "/a/?y=2")
    assert a2.body == b"slash /a/"


def test_stream_request_body(web: Any) -> None:
    app = Application([(r"/s", Streaming)])
    payload = b"x" * 200_000
    resp = web.fetch(app, "PUT", "/s", payload)
    assert json.loads(resp.body) == {"len": 200_000, "body_attr": 0}


def test_default_handler_class(web: Any) -> None:
    app = Application([], default_handler_class=Echo, default_handler_args={"prefix": "d"})
    resp = web.fetch(app, "GET", "/anything")
    assert json.loads(resp.body)["prefix"] == "d"
