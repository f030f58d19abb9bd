"""squall.routing without sockets: matchers, rules, reverse rules, rule routers."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
)
from squall.routing import (
    AnyMatches,
    DefaultHostMatches,
    HostMatches,
    Matcher,
    PathMatches,
    ReversibleRouter,
    ReversibleRuleRouter,
    Router,
    Rule,
    RuleRouter,
    URLSpec,
)


def req(uri: str, host: str = "example.com", **headers: str) -> HTTPServerRequest:
    return HTTPServerRequest(
        method="GET",
        uri=uri,
        headers=HTTPHeaders({"Host": host, **headers}),
        connection=HTTPConnection(),
    )


class Marker(HTTPMessageDelegate):
    def __init__(self, label: str, params: dict[str, Any]) -> None:
        self.label = label
        self.params = params


class Leaf(Router):
    """A router returning a marker delegate carrying what it was given."""

    def __init__(self, label: str) -> None:
        self.label = label

    def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> HTTPMessageDelegate:
        return Marker(self.label, kwargs)


class Named(ReversibleRouter):
    def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> None:
        return None

    def reverse_url(self, name: str, *args: Any) -> str | None:
        return f"/named/{name}" if name == "deep" else None


def found(router: Router, request: HTTPServerRequest) -> Marker:
    delegate = router.find_handler(request)
    assert isinstance(delegate, Marker)
    return delegate


def test_base_classes_are_abstract() -> None:
    with pytest.raises(NotImplementedError):
        Matcher().match(req("/"))
    assert Matcher().reverse() is None
    with pytest.raises(NotImplementedError):
        Router().find_handler(req("/"))
    with pytest.raises(NotImplementedError):
        ReversibleRouter().reverse_url("x")
    assert isinstance(Router(), HTTPServerConnectionDelegate)


def test_any_and_host_matchers() -> None:
    assert AnyMatches().match(req("/x")) == {}
    host = HostMatches(r"www\.example\.com")
    assert host.host_pattern.pattern.endswith("$")
    assert host.match(req("/", host="www.example.com:8080")) == {}
    assert host.match(req("/", host="WWW.Example.COM")) == {}
    assert host.match(req("/", host="www.example.com.evil")) is None
    assert HostMatches(re.compile(r".*\.test")).match(req("/", host="a.test")) == {}
    assert host.reverse() is None


class _App:
    def __init__(self, default_host: str | None) -> None:
        self.default_host = default_host


def test_default_host_matches() -> None:
    app = _App("main.test")
    matcher = DefaultHostMatches(app, re.compile(r"main\.test$"))
    assert matcher.match(req("/", host="other.test")) == {}
    assert matcher.match(req("/", host="other.test", **{"X-Real-Ip": "1.2.3.4"})) is None
    app.default_host = "else.test"  # read at match time
    assert matcher.match(req("/")) is None
    app.default_host = None
    assert matcher.match(req("/")) is None


def test_path_matches_groups() -> None:
    assert PathMatches(r"/a").match(req("/a?x=1")) == {}
    assert PathMatches(r"/a").match(req("/ab")) is None
    assert PathMatches(r"/a").match(req("/x/a")) is None
    positional = PathMatches(r"/item/([^/]+)/(\d+)")
    assert positional.match(req("/item/a%20b+c/12")) == {
        "path_args": [b"a b+c", b"12"],
        "path_kwargs": {},
    }
    named = PathMatches(r"/u/(?P<user>[^/]+)/(?P<tab>\w+)?(/x)?")
    assert named.match(req("/u/%E2%98%83/")) == {
        "path_args": [],
        "path_kwargs": {"user": "☃".encode(), "tab": None},
    }


@pytest.mark.parametrize(
    ("pattern", "args", "expected"),
    [
        (r"/item/([^/]+)/(\d+)", ("a b", 12), "/item/a%20b/12"),
        (r"/item/([^/]+)/(\d+)", (b"x%y", "3"), "/item/x%25y/3"),
        (r"/p/(.*)", ("a/b c",), "/p/a/b%20c"),
        (r"/p/(.*)", ("☃",), "/p/%E2%98%83"),
        (r"^/a/(?P<id>\d+)$", (5,), "/a/5"),
        (r"/static\.txt", (), "/static.txt"),
        (r"/v1.0/(\w+)", ("x",), "/v1.0/x"),
        (r"/100%/(\d+)", (7,), "/100%/7"),
        (r"/cost\$", (), "/cost$"),
    ],
)
def test_reverse(pattern: str, args: tuple[Any, ...], expected: str) -> None:
    assert PathMatches(pattern).reverse(*args) == expected
    assert URLSpec(pattern, Leaf).reverse(*args) == expected


@pytest.mark.parametrize(
    "pattern",
    [r"/a(?:b|c)/(\d+)", r"/a/.*", r"/a/\d", r"/(a(b))", r"/a/?", r"/(x)|/(y)", r"/[ab]"],
)
def test_irreversible_patterns(pattern: str) -> None:
    with pytest.raises(ValueError, match="Cannot reverse"):
        PathMatches(pattern).reverse(*([1] * re.compile(pattern).groups))


def test_reverse_argument_count() -> None:
    with pytest.raises(ValueError, match="arguments"):
        PathMatches(r"/i/(\d+)").reverse()
    with pytest.raises(ValueError, match="arguments"):
        PathMatches(r"/i").reverse(1)


@given(st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s))
def test_reverse_then_match_roundtrips(value: str) -> None:
    matcher = PathMatches(r"/v/([^/]+)/end")
    path = matcher.reverse(value)
    assert path is not None
    assert matcher.match(req(path)) == {"path_args": [value.encode()], "path_kwargs": {}}


@given(st.text(max_size=100))
def test_path_match_never_raises(path: str) -> None:
    result = PathMatches(r"/v/(?P<a>[^/]*)/(.*)").match(req("/" + path))
    assert result is None or set(result) == {"path_args", "path_kwargs"}


def test_rule_and_urlspec_attributes() -> None:
    rule = Rule(AnyMatches(), "squall.routing.RuleRouter", name="n")
    assert rule.target is RuleRouter
    assert rule.target_kwargs == {}
    assert rule.reverse() is None
    assert "RuleRouter" in repr(rule)
    spec = URLSpec(r"/x/(\d+)", Leaf, {"a": 1}, "x")
    assert isinstance(spec, Rule)
    assert isinstance(spec.matcher, PathMatches)
    assert spec.regex.pattern == r"/x/(\d+)$"
    assert spec.handler_class is spec.target is Leaf
    assert spec.kwargs == spec.target_kwargs == {"a": 1}
    assert spec.match("/x/4") == ([b"4"], {})
    assert spec.match("/y") is None
    assert repr(spec).startswith("URLSpec('/x/(\\\\d+)$', ")
    with pytest.raises(ImportError):
        Rule(AnyMatches(), "squall.routing.NoSuchThing")


def test_rule_router_order_forms_and_params() -> None:
    router = RuleRouter(
        [
            (r"/a/(\d+)", Leaf("tuple-path")),
            (HostMatches("h.test"), Leaf("tuple-matcher"), {"k": 1}),
            Rule(PathMatches(r"/b"), Leaf("rule"), name="b"),
            [r"/c", Leaf("list-form")],
        ]
    )
    got = found(router, req("/a/7"))
    assert (got.label, got.params) == ("tuple-path", {"path_args": [b"7"], "path_kwargs": {}})
    got = found(router, req("/zzz", host="h.test"))
    assert (got.label, got.params) == ("tuple-matcher", {"target_kwargs": {"k": 1}})
    assert found(router, req("/b")).label == "rule"
    assert found(router, req("/c")).label == "list-form"
    assert router.find_handler(req("/nothing")) is None
    router.add_rules([(r"/nothing", Leaf("late"))])
    assert found(router, req("/nothing")).label == "late"


def test_rule_router_rejects_malformed_rules() -> None:
    with pytest.raises(TypeError):
        RuleRouter([(r"/",)])
    with pytest.raises(TypeError):
        RuleRouter([(1, Leaf("x"))])
    with pytest.raises(TypeError):
        RuleRouter(["/just-a-string"])


def test_nested_lists_routers_and_fallthrough() -> None:
    class Nothing(Router):
        def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> None:
            return None

    router = RuleRouter(
        [
            (r"/n/.*", Nothing()),  # matches, but yields nothing: keep searching
            (PathMatches(r"/n/.*"), [(r"/n/one", Leaf("nested-one"))]),
            (AnyMatches(), Leaf("last")),
        ]
    )
    assert isinstance(router.rules[1].target, RuleRouter)
    assert found(router, req("/n/one")).label == "nested-one"
    assert found(router, req("/n/two")).label == "last"


class Delegate(HTTPServerConnectionDelegate):
    def __init__(self) -> None:
        self.calls: list[tuple[object, HTTPConnection]] = []

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> Marker:
        self.calls.append((server_conn, request_conn))
        return Marker("delegate", {})


def test_get_target_delegate_kinds() -> None:
    router = RuleRouter()
    request = req("/")
    request.server_connection = sentinel = object()
    target = Delegate()
    assert isinstance(router.get_target_delegate(target, request), Marker)
    assert target.calls == [(sentinel, request.connection)]
    seen: list[Any] = []
    adapter = router.get_target_delegate(lambda r, **kw: seen.append(kw), request, a=1)
    assert isinstance(adapter, HTTPMessageDelegate)
    assert router.get_target_delegate(42, request) is None


def test_reversible_rule_router(caplog: pytest.LogCaptureFixture) -> None:
    router = ReversibleRuleRouter(
        [
            (r"/a/(\d+)", Leaf("a"), {}, "a"),
            (AnyMatches(), Named()),
            (PathMatches("/sub/.*"), [(r"/sub/(\w+)", Leaf("s"), {}, "sub")]),
        ]
    )
    assert router.reverse_url("a", 3) == "/a/3"
    assert router.reverse_url("deep") == "/named/deep"
    assert router.reverse_url("sub", "x") == "/sub/x"
    assert router.reverse_url("missing") is None
    assert isinstance(router.rules[2].target, ReversibleRuleRouter)
    with caplog.at_level(logging.WARNING, logger="squall.application"):
        router.add_rules([(r"/a2/(\d+)", Leaf("a2"), {}, "a")])
    assert "Multiple handlers named a" in caplog.text
    assert router.reverse_url("a", 4) == "/a2/4"
