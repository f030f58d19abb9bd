"""URLSpec matching and reversing, and the Application routing table (no sockets)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.httputil import HTTPHeaders, HTTPServerRequest
from squall.web import Application, ErrorHandler, RequestHandler, URLSpec, url


class Plain(RequestHandler):
    pass


class Other(RequestHandler):
    pass


def test_pattern_is_anchored_at_end() -> None:
    spec = URLSpec(r"/a", Plain)
    assert spec.regex.pattern == "/a$"
    assert spec.match("/a") == ([], {})
    assert spec.match("/ab") is None
    assert spec.match("/x/a") is None


def test_positional_groups_are_percent_decoded_bytes() -> None:
    spec = URLSpec(r"/item/([^/]+)/(\d+)", Plain)
    assert spec.match("/item/a%20b+c/12") == ([b"a b+c", b"12"], {})
    assert spec.match("/item/%E2%98%83/1") == (["☃".encode(), b"1"], {})


def test_named_groups_become_kwargs_only() -> None:
    spec = URLSpec(r"/u/(?P<user>[^/]+)/(?P<tab>\w+)?", Plain)
    assert spec.match("/u/bob/") == ([], {"user": b"bob", "tab": None})
    assert spec.match("/u/bob/info") == ([], {"user": b"bob", "tab": b"info"})


def test_reverse_simple_and_escaping() -> None:
    spec = URLSpec(r"/item/([^/]+)/(\d+)", Plain, name="item")
    assert spec.reverse("a b", 12) == "/item/a%20b/12"
    assert spec.reverse(b"x%y", "3") == "/item/x%25y/3"
    assert url(r"/static\.txt", Plain).reverse() == "/static.txt"
    assert url(r"/100%", Plain).reverse() == "/100%"
    assert url(r"^/a/(?P<id>\d+)$", Plain).reverse(5) == "/a/5"


def test_reverse_errors() -> None:
    spec = URLSpec(r"/item/(\d+)", Plain)
    with pytest.raises(ValueError, match="arguments"):
        spec.reverse()
    with pytest.raises(ValueError, match="Cannot reverse"):
        URLSpec(r"/a(?:b|c)/(\d+)", Plain).reverse(1)
    with pytest.raises(ValueError, match="Cannot reverse"):
        URLSpec(r"/a/.*", Plain).reverse()
    with pytest.raises(ValueError, match="Cannot reverse"):
        URLSpec(r"/a/\d", Plain).reverse()


def test_handler_by_dotted_name_and_compiled_pattern() -> None:
    spec = URLSpec(re.compile(r"/x"), "squall.web.ErrorHandler", {"status_code": 403})
    assert spec.handler_class is ErrorHandler
    assert spec.kwargs == {"status_code": 403}
    assert spec.match("/x") == ([], {})
    assert "ErrorHandler" in repr(spec)


@given(st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s))
def test_reverse_then_match_roundtrips(value: str) -> None:
    spec = URLSpec(r"/v/([^/]+)", Plain)
    path = spec.reverse(value)
    assert spec.match(path) == ([value.encode("utf-8")], {})


@given(st.text(max_size=200))
def test_match_never_raises_on_hostile_paths(path: str) -> None:
    spec = URLSpec(r"/v/(?P<a>[^/]*)/(.*)", Plain)
    result = spec.match(path)
    assert result is None or isinstance(result[1], dict)


def _request(path: str, host: str = "example.com", **headers: str) -> HTTPServerRequest:
    hdrs = HTTPHeaders({"Host": host, **headers})
    return HTTPServerRequest(method="GET", uri=path, headers=hdrs)


def test_application_routes_in_order_and_reverse_url() -> None:
    app = Application(
        [
            (r"/", Plain),
            (r"/o/(\d+)", Other, {}, "other"),
            url(r"/o/(.*)", Plain, name="fallback"),
        ]
    )
    assert app.find_handler(_request("/")).handler_class is Plain
    assert app.find_handler(_request("/o/12")).handler_class is Other
    assert app.find_handler(_request("/o/ab")).handler_class is Plain
    missing = app.find_handler(_request("/nope"))
    assert missing.handler_class is ErrorHandler
    assert missing.handler_kwargs == {"status_code": 404}
    assert app.reverse_url("other", 7) == "/o/7"
    with pytest.raises(KeyError):
        app.reverse_url("absent")


def test_application_rejects_bad_specs() -> None:
    with pytest.raises(TypeError):
        Application([(r"/",)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        Application([(r"/", object)])
    with pytest.raises(ValueError, match="Multiple handlers"):
        Application([(r"/a", Plain, {}, "n"), (r"/b", Plain, {}, "n")])


def test_host_specific_handlers_and_default_host() -> None:
    app = Application([(r"/", Plain)], default_host="main.test")
    app.add_handlers(r"main\.test", [(r"/only", Other)])
    assert app.find_handler(_request("/only", host="main.test:8080")).handler_class is Other
    # Other hosts fall back to the default host's routes unless proxied (X-Real-Ip).
    assert app.find_handler(_request("/only", host="else.test")).handler_class is Other
    proxied = _request("/only", host="else.test", **{"X-Real-Ip": "1.2.3.4"})
    assert app.find_handler(proxied).handler_class is ErrorHandler
    assert app.find_handler(_request("/", host="main.test")).handler_class is Plain


def test_default_handler_class_setting() -> None:
    app = Application([(r"/", Plain)], default_handler_class=Other, default_handler_args={"a": 1})
    delegate = app.find_handler(_request("/zzz"))
    assert delegate.handler_class is Other
    assert delegate.handler_kwargs == {"a": 1}


def test_debug_setting_turns_on_serve_traceback() -> None:
    settings: dict[str, Any] = Application(debug=True).settings
    assert settings["serve_traceback"] is True
    assert Application(debug=True, serve_traceback=False).settings["serve_traceback"] is False
    assert "serve_traceback" not in Application().settings
