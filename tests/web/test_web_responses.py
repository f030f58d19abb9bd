"""Response production over real sockets: errors, redirects, JSON, ETags, cookies, logging."""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import pytest

from squall.web import Application, HTTPError, RedirectHandler, RequestHandler


class Boom(RequestHandler):
    def get(self) -> None:
        raise ZeroDivisionError("kaboom")


class Raiser(RequestHandler):
    def get(self) -> None:
        code = int(self.get_argument("code"))
        reason = self.get_argument("reason", None)
        message = self.get_argument("msg", None)
        raise HTTPError(code, message, reason=reason)


class Json(RequestHandler):
    def get(self) -> None:
        self.write({"a": 1, "html": "</script>", "u": "é"})


class ListWriter(RequestHandler):
    def get(self) -> None:
        self.write([1, 2])  # type: ignore[arg-type]


class Redirector(RequestHandler):
    def get(self) -> None:
        kind = self.get_argument("kind")
        if kind == "temp":
            self.redirect("/target")
        elif kind == "perm":
            self.redirect("/target", permanent=True)
        else:
            self.redirect("http://example.com/x", status=307)


class Cached(RequestHandler):
    def get(self) -> None:
        self.write("cacheable body")

    def head(self) -> None:
        self.get()


class Flusher(RequestHandler):
    async def get(self) -> None:
        self.write("part1,")
        await self.flush()
        self.write("part2,")
        await self.flush()
        self.finish("end")


class Cookies(RequestHandler):
    def get(self) -> None:
        self.set_cookie("plain", "v1")
        self.set_cookie(
            "opts",
            "v2",
            domain="example.com",
            path="/p",
            max_age=60,
            httponly=True,
            secure=True,
            samesite="Lax",
        )
        self.clear_cookie("old")
        self.write(self.get_cookie("incoming", "none") or "")


class DefaultHeaders(RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("X-Frame-Options", "DENY")
        self.clear_header("Server")

    def get(self) -> None:
        raise HTTPError(403)


class CustomError(RequestHandler):
    def get(self) -> None:
        raise HTTPError(409)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.write({"error": status_code, "exc": type(kwargs["exc_info"][1]).__name__})


class ErrorAfterFlush(RequestHandler):
    async def get(self) -> None:
        self.write("partial")
        await self.flush()
        raise RuntimeError("too late")


class Big(RequestHandler):
    def get(self) -> None:
        self.write("squall " * 1000)


def test_uncaught_exception_is_500_with_one_log_line(
    web: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="squall")
    resp = web.fetch(Application([(r"/", Boom)]), "GET", "/")
    assert resp.status == 500
    assert b"500: Internal Server Error" in resp.body
    assert b"kaboom" not in resp.body
    app_records = [r for r in caplog.records if r.name == "squall.application"]
    assert len(app_records) == 1
    assert app_records[0].levelno == logging.ERROR
    assert "Uncaught exception GET / (127.0.0.1)" in app_records[0].getMessage()
    assert app_records[0].exc_info is not None
    access = [r for r in caplog.records if r.name == "squall.access"]
    assert len(access) == 1
    assert access[0].levelno == logging.ERROR
    assert access[0].getMessage().startswith("500 GET / (127.0.0.1) ")


def test_serve_traceback_in_debug(web: Any, caplog: pytest.LogCaptureFixture) -> None:
    resp = web.fetch(Application([(r"/", Boom)], debug=True), "GET", "/")
    assert resp.status == 500
    assert resp.header("Content-Type") == "text/plain; charset=UTF-8"
    assert b"ZeroDivisionError: kaboom" in resp.body
    assert b"Traceback" in resp.body


def test_http_error_status_reason_and_logging(web: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="squall")
    app = Application([(r"/", Raiser)])
    quiet, logged, custom, bad_reason = web.fetch_all(
        app,
        [
            ("GET", "/?code=404"),
            ("GET", "/?code=400&msg=bad+input+%25s"),
            ("GET", "/?code=418&reason=I+Am+A+Teapot"),
            ("GET", "/?code=401&reason=x%0D%0AInjected:+1"),
        ],
    )
    assert quiet.status == 404
    assert logged.status == 400
    assert (custom.status, custom.reason) == (418, "I Am A Teapot")
    assert b"418: I Am A Teapot" in custom.body
    assert (bad_reason.status, bad_reason.reason) == (401, "Unauthorized")
    assert bad_reason.header("Injected") is None
    warnings = [r for r in caplog.records if r.name == "squall.general"]
    assert [r.getMessage() for r in warnings] == [
        "400 GET /?code=400&msg=bad+input+%25s (127.0.0.1): bad input %s"
    ]
    assert warnings[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.name == "squall.application"]
    access = [
        (r.levelno, r.getMessage().split(" ")[0])
        for r in caplog.records
        if r.name == "squall.access"
    ]
    assert access == [(logging.WARNING, code) for code in ("404", "400", "418", "401")]


def test_access_log_format_for_success(web: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="squall.access")
    web.fetch(Application([(r"/", Cached)]), "GET", "/?q=1")
    (record,) = [r for r in caplog.records if r.name == "squall.access"]
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert message.startswith("200 GET /?q=1 (127.0.0.1) ")
    assert message.endswith("ms")
    float(message.split(" ")[-1][:-2])


def test_log_function_setting(web: Any) -> None:
    seen: list[int] = []
    app = Application([(r"/", Cached)], log_function=lambda h: seen.append(h.get_status()))
    web.fetch(app, "GET", "/")
    assert seen == [200]


def test_json_output(web: Any) -> None:
    resp = web.fetch(Application([(r"/", Json)]), "GET", "/")
    assert resp.header("Content-Type") == "application/json; charset=UTF-8"
    assert b"<\\/script>" in resp.body
    assert json.loads(resp.body) == {"a": 1, "html": "</script>", "u": "é"}


def test_writing_a_list_is_a_500(web: Any, caplog: pytest.LogCaptureFixture) -> None:
    resp = web.fetch(Application([(r"/", ListWriter)]), "GET", "/")
    assert resp.status == 500
    assert any(
        "Lists not accepted" in r.getMessage()
        or (r.exc_info and "Lists not accepted" in str(r.exc_info[1]))
        for r in caplog.records
    )


def test_redirects(web: Any) -> None:
    app = Application(
        [
            (r"/r", Redirector),
            (r"/old/(\d+)", RedirectHandler, {"url": "/new/{0}"}),
            (r"/tmp/(?P<name>\w+)", RedirectHandler, {"url": "/n/{name}", "permanent": False}),
        ]
    )
    temp, perm, other, handler, handler_tmp = web.fetch_all(
        app,
        [
            ("GET", "/r?kind=temp"),
            ("GET", "/r?kind=perm"),
            ("GET", "/r?kind=other"),
            ("GET", "/old/5?a=1&a=2"),
            ("GET", "/tmp/bob"),
        ],
    )
    assert (temp.status, temp.header("Location")) == (302, "/target")
    assert (perm.status, perm.header("Location")) == (301, "/target")
    assert (other.status, other.header("Location")) == (307, "http://example.com/x")
    assert (handler.status, handler.header("Location")) == (301, "/new/5?a=1&a=2")
    assert (handler_tmp.status, handler_tmp.header("Location")) == (302, "/n/bob")


def test_etag_and_304(web: Any) -> None:
    app = Application([(r"/", Cached)])
    (first,) = web.fetch_all(app, [("GET", "/")])
    etag = first.header("Etag")
    assert etag
    again, weak, star, stale, head = web.fetch_all(
        app,
        [
            ("GET", "/", None, {"If-None-Match": etag}),
            ("GET", "/", None, {"If-None-Match": f'"zzz", W/{etag}'}),
            ("GET", "/", None, {"If-None-Match": "*"}),
            ("GET", "/", None, {"If-None-Match": '"stale"'}),
            ("HEAD", "/", None, {"If-None-Match": etag}),
        ],
    )
    for resp in (again, weak, star, head):
        assert resp.status == 304
        assert resp.body == b""
        assert resp.header("Etag") == etag
        assert resp.header("Content-Type") is None
    assert (stale.status, stale.body) == (200, b"cacheable body")


def test_flush_streams_chunked(web: Any) -> None:
    raw = web.raw_exchange(
        Application([(r"/", Flusher)]),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert b"Content-Length" not in head
    assert body.endswith(b"0\r\n\r\n")
    assert b"part1," in body and b"part2," in body and b"end" in body


def test_cookies(web: Any) -> None:
    app = Application([(r"/", Cookies)])
    resp = web.fetch(app, "GET", "/", None, {"Cookie": "incoming=hello; other=1"})
    assert resp.body == b"hello"
    set_cookies = [v for k, v in resp.raw_headers if k.lower() == "set-cookie"]
    assert len(set_cookies) == 3
    assert set_cookies[0] == "plain=v1; Path=/"
    opts = set_cookies[1]
    for part in (
        "opts=v2",
        "Domain=example.com",
        "Path=/p",
        "Max-Age=60",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
    ):
        assert part in opts
    assert set_cookies[2].startswith('old=""') or set_cookies[2].startswith("old=;")
    assert "Max-Age=0" in set_cookies[2]
    assert "expires=" in set_cookies[2].lower()


def test_default_headers_survive_errors(web: Any) -> None:
    resp = web.fetch(Application([(r"/", DefaultHeaders)]), "GET", "/")
    assert resp.status == 403
    assert resp.header("X-Frame-Options") == "DENY"
    assert resp.header("Server") is None


def test_custom_write_error(web: Any) -> None:
    resp = web.fetch(Application([(r"/", CustomError)]), "GET", "/")
    assert resp.status == 409
    assert json.loads(resp.body) == {"error": 409, "exc": "HTTPError"}


def test_error_after_flush_finishes_partial_response(
    web: Any, caplog: pytest.LogCaptureFixture
) -> None:
    raw = web.raw_exchange(
        Application([(r"/", ErrorAfterFlush)]),
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert raw.startswith(b"HTTP/1.1 200")
    assert b"partial" in raw
    assert any(
        "Cannot send error response after headers written" in r.getMessage()
        for r in caplog.records
    )


def test_gzip_compress_response(web: Any) -> None:
    app = Application([(r"/", Big), (r"/small", Cached)], compress_response=True)
    big, small, plain = web.fetch_all(
        app,
        [
            ("GET", "/", None, {"Accept-Encoding": "gzip"}),
            ("GET", "/small", None, {"Accept-Encoding": "gzip"}),
            ("GET", "/"),
        ],
    )
    assert big.header("Content-Encoding") == "gzip"
    assert big.header("Vary") == "Accept-Encoding"
    assert gzip.decompress(big.body) == b"squall " * 1000
    assert int(big.header("Content-Length")) == len(big.body)
    assert small.header("Content-Encoding") is None
    assert small.body == b"cacheable body"
    assert plain.header("Content-Encoding") is None
    assert plain.body == b"squall " * 1000
