"""In-process squall.web apps checked by h11, an independent HTTP/1.1 parser."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from squall.web import Application, HTTPError, RequestHandler


class Hello(RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


class Streamer(RequestHandler):
    async def get(self) -> None:
        for i in range(3):
            self.write(f"chunk{i};")
            await self.flush()
        self.write("tail")


class Api(RequestHandler):
    def get(self, item: str) -> None:
        if item == "forbidden":
            raise HTTPError(403, "item %s is forbidden", item)
        if item == "crash":
            raise KeyError(item)
        self.write({"item": item, "n": [1, 2, 3]})

    def post(self, item: str) -> None:
        self.redirect(self.reverse_url("api", item + "-moved"))


def make_app() -> Application:
    return Application(
        [
            (r"/", Hello),
            (r"/stream", Streamer),
            (r"/api/([^/]+)", Api, {}, "api"),
        ]
    )


def test_chunked_flush_parsed_by_h11(run_app: Any, h11_exchange: Any) -> None:
    stream, after = run_app(
        make_app(), lambda port: h11_exchange(port, [("GET", "/stream"), ("GET", "/")])
    )
    assert stream.status == 200
    assert stream.header("Transfer-Encoding") == "chunked"
    assert stream.header("Content-Length") is None
    assert stream.body == b"chunk0;chunk1;chunk2;tail"
    assert stream.data_events >= 1
    # The connection stayed usable after the chunked response.
    assert (after.status, after.body) == (200, b"Hello, world")
    assert after.header("Content-Length") == "12"


def test_etag_304_404_405_over_one_connection(run_app: Any, h11_exchange: Any) -> None:
    def client(port: int) -> Any:
        (first,) = h11_exchange(port, [("GET", "/")])
        etag = first.header("Etag")
        return first, h11_exchange(
            port,
            [
                ("GET", "/", [("If-None-Match", etag)]),
                ("GET", "/absent"),
                ("DELETE", "/"),
                ("GET", "/"),
            ],
        )

    first, (not_modified, missing, not_allowed, again) = run_app(make_app(), client)
    assert first.status == 200
    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.header("Etag") == first.header("Etag")
    assert missing.status == 404
    assert missing.header("Content-Type") == "text/html; charset=UTF-8"
    assert b"<html>" in missing.body and b"404: Not Found" in missing.body
    assert not_allowed.status == 405
    assert b"405: Method Not Allowed" in not_allowed.body
    assert again.body == b"Hello, world"


def test_json_redirect_and_errors(
    run_app: Any, h11_exchange: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="squall")
    ok, moved, forbidden, crash = run_app(
        make_app(),
        lambda port: h11_exchange(
            port,
            [
                ("GET", "/api/x%20y"),
                ("POST", "/api/thing", [("Content-Length", "0")]),
                ("GET", "/api/forbidden"),
                ("GET", "/api/crash"),
            ],
        ),
    )
    assert ok.header("Content-Type") == "application/json; charset=UTF-8"
    assert json.loads(ok.body) == {"item": "x y", "n": [1, 2, 3]}
    assert (moved.status, moved.header("Location")) == (302, "/api/thing-moved")
    assert forbidden.status == 403
    assert crash.status == 500
    assert b"KeyError" not in crash.body

    access = [r.getMessage() for r in caplog.records if r.name == "squall.access"]
    assert [line.split(" (")[0] for line in access] == [
        "200 GET /api/x%20y",
        "302 POST /api/thing",
        "403 GET /api/forbidden",
        "500 GET /api/crash",
    ]
    levels = [r.levelno for r in caplog.records if r.name == "squall.access"]
    assert levels == [logging.INFO, logging.INFO, logging.WARNING, logging.ERROR]
    general = [r.getMessage() for r in caplog.records if r.name == "squall.general"]
    assert general == ["403 GET /api/forbidden (127.0.0.1): item forbidden is forbidden"]
    errors = [r for r in caplog.records if r.name == "squall.application"]
    assert len(errors) == 1
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is KeyError
