"""squall.httputil: HTTPHeaders, start lines, forms, cookies and helpers."""

from __future__ import annotations

import copy
import datetime
import pickle
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.httputil import (
    HTTPFile,
    HTTPHeaders,
    HTTPInputError,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
    encode_username_password,
    format_timestamp,
    parse_body_arguments,
    parse_cookie,
    parse_request_start_line,
    parse_response_start_line,
    qs_to_qsl,
    responses,
    split_host_and_port,
    url_concat,
)


def test_headers_multi_values_and_case() -> None:
    h = HTTPHeaders()
    h.add("content-type", "text/html")
    h.add("Set-Cookie", "a=1")
    h.add("set-cookie", "b=2")
    assert h["Content-Type"] == "text/html"
    assert h["SET-COOKIE"] == "a=1,b=2"
    assert h.get_list("set-cookie") == ["a=1", "b=2"]
    assert list(h.get_all()) == [
        ("Content-Type", "text/html"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert "content-TYPE" in h
    assert 3 not in h  # type: ignore[comparison-overlap]
    h["set-cookie"] = "c=3"
    assert h.get_list("Set-Cookie") == ["c=3"]
    del h["Content-Type"]
    assert len(h) == 1 and list(h) == ["Set-Cookie"]
    assert h.get("missing") is None and h.get("missing", "d") == "d"
    assert h.get_list("missing") == []
    with pytest.raises(KeyError):
        h["missing"]


def test_headers_copy_pickle_str_eq() -> None:
    h = HTTPHeaders({"A": "1"}, B="2")
    h.add("a", "3")
    for other in (
        h.copy(),
        copy.copy(h),
        copy.deepcopy(h),
        pickle.loads(pickle.dumps(h)),
        HTTPHeaders(h),
    ):
        assert other == h and other is not h
        assert other.get_list("A") == ["1", "3"]
    c = h.copy()
    c.add("A", "4")
    assert h.get_list("A") == ["1", "3"]
    assert str(h) == "A: 1\nA: 3\nB: 2\n"
    assert h == {"A": "1,3", "B": "2"}


def test_headers_parse() -> None:
    h = HTTPHeaders.parse(
        "Foo: bar\r\nfoo:  baz \r\nX-Empty:\r\n\r\nLf: only\nFolded: a\r\n  b\r\n"
    )
    assert h.get_list("Foo") == ["bar", "baz"]
    assert h["X-Empty"] == ""
    assert h["Lf"] == "only"
    assert h["Folded"] == "a b"
    for bad in ("NoColon", "Bad Name: x", " leading: x", "X: a\x00b", "Na\xefme: x"):
        with pytest.raises(HTTPInputError):
            HTTPHeaders.parse(bad)


def test_headers_many_repeats_is_linear() -> None:
    start = time.perf_counter()
    h = HTTPHeaders()
    for _ in range(50000):
        h.add("X", "v")
    assert len(h["X"]) == 50000 * 2 - 1
    assert time.perf_counter() - start < 1.0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "B", "c-d", "C-D"]), st.text("xyz ", max_size=5).map(str.strip)
        )
    )
)
def test_headers_parse_roundtrip(pairs: list[tuple[str, str]]) -> None:
    h = HTTPHeaders()
    for name, value in pairs:
        h.add(name, value)
    assert HTTPHeaders.parse(str(h)) == h


def test_start_lines() -> None:
    assert parse_request_start_line("GET /a?b HTTP/1.1") == RequestStartLine(
        "GET", "/a?b", "HTTP/1.1"
    )
    for bad in (
        "GET /",
        "GET  / HTTP/1.1",
        "GET / HTTP/2.0",
        "G T / HTTP/1.1",
        "GET / HTTP/1.1 x",
    ):
        with pytest.raises(HTTPInputError):
            parse_request_start_line(bad)
    assert parse_response_start_line("HTTP/1.1 200 OK") == ResponseStartLine("HTTP/1.1", 200, "OK")
    assert parse_response_start_line("HTTP/1.0 404 Not  Found") == ResponseStartLine(
        "HTTP/1.0", 404, "Not  Found"
    )
    assert parse_response_start_line("HTTP/1.1 204") == ResponseStartLine("HTTP/1.1", 204, "")
    for bad in (
        "HTTP/1.1 20 OK",
        "HTTP/1.1 200 O\rK",
        "HTTP/2 200 OK",
        "200 OK",
        "HTTP/1.1 2000 OK",
    ):
        with pytest.raises(HTTPInputError):
            parse_response_start_line(bad)


def test_format_timestamp() -> None:
    expected = "Sun, 06 Nov 1994 08:49:37 GMT"
    ts = 784111777
    assert format_timestamp(ts) == expected
    assert format_timestamp(float(ts)) == expected
    assert format_timestamp(time.gmtime(ts)) == expected
    assert format_timestamp(tuple(time.gmtime(ts))) == expected
    assert format_timestamp(datetime.datetime(1994, 11, 6, 8, 49, 37)) == expected
    aware = datetime.datetime(
        1994, 11, 6, 9, 49, 37, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert format_timestamp(aware) == expected
    with pytest.raises(TypeError):
        format_timestamp("yesterday")  # type: ignore[arg-type]


def test_url_concat_and_qs_to_qsl() -> None:
    assert url_concat("http://h/p", {"a": "1"}) == "http://h/p?a=1"
    assert url_concat("http://h/p?x=1&x=", [("x", "2")]) == "http://h/p?x=1&x=&x=2"
    assert url_concat("/p?a=1#f", (("b", "c d"),)) == "/p?a=1&b=c+d#f"
    assert url_concat("/p", None) == "/p"
    with pytest.raises(TypeError):
        url_concat("/p", "a=1")  # type: ignore[arg-type]
    assert list(qs_to_qsl({"a": [1, 2], "b": [3]})) == [("a", 1), ("a", 2), ("b", 3)]


def test_parse_cookie() -> None:
    assert parse_cookie("a=1; b=2;c = 3 ") == {"a": "1", "b": "2", "c": "3"}
    assert parse_cookie('q="a\\"b\\073c"; e=""; bare; =x') == {"q": 'a"b;c', "e": "", "": "x"}
    assert parse_cookie("a=1=2; a=3") == {"a": "3"}
    assert parse_cookie("") == {}
    start = time.perf_counter()
    parse_cookie('a="' + "\\" * 100000 + '"; ' + "b=c;" * 20000)
    assert time.perf_counter() - start < 1.0


def test_split_host_and_port_and_credentials() -> None:
    assert split_host_and_port("example.com:8080") == ("example.com", 8080)
    assert split_host_and_port("example.com") == ("example.com", None)
    assert split_host_and_port("[::1]:80") == ("[::1]", 80)
    assert split_host_and_port("[::1]") == ("[::1]", None)
    assert split_host_and_port("h:x") == ("h:x", None)
    assert split_host_and_port("h:" + "9" * 5000) == ("h:" + "9" * 5000, None)
    assert encode_username_password("us\xe9r", b"p:w") == b"us\xc3\xa9r:p:w"
    assert responses[404] == "Not Found"


def test_parse_body_urlencoded() -> None:
    args: dict[str, list[bytes]] = {"a": [b"0"]}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments(
        "application/x-www-form-urlencoded; charset=utf-8", b"a=1&b=%C3%A9&c=&a=+x", args, files
    )
    assert args == {"a": [b"0", b"1", b" x"], "b": [b"\xc3\xa9"], "c": [b""]}
    parse_body_arguments("text/plain", b"a=9", args, files)
    assert args["a"] == [b"0", b"1", b" x"]
    with pytest.raises(HTTPInputError):
        parse_body_arguments(
            "application/x-www-form-urlencoded",
            b"a=1",
            args,
            files,
            HTTPHeaders({"Content-Encoding": "gzip"}),
        )


MULTIPART = (
    b"--BOUND\r\n"
    b'Content-Disposition: form-data; name="field"\r\n\r\n'
    b"value\r\n"
    b"--BOUND\r\n"
    b'Content-Disposition: form-data; name="up"; filename="a;b.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"file\r\ncontent\r\n"
    b"--BOUND\r\n"
    b"Content-Disposition: form-data; name=\"u2\"; filename*=UTF-8''%C3%A9.txt\r\n\r\n"
    b"x\r\n"
    b"--BOUND--\r\n"
)


def test_parse_multipart() -> None:
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_body_arguments('multipart/form-data; boundary="BOUND"', MULTIPART, args, files)
    assert args == {"field": [b"value"]}
    (up,) = files["up"]
    assert (up.filename, up.body, up.content_type) == ("a;b.txt", b"file\r\ncontent", "text/plain")
    assert up["filename"] == "a;b.txt"
    assert files["u2"][0].filename == "\xe9.txt"
    assert files["u2"][0].content_type == "application/unknown"


@pytest.mark.parametrize(
    "body",
    [
        b"no final boundary",
        b"--B\r\nContent-Disposition: form-data; name=a\r\nno blank line--B--",
        b'--B\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--B--',
        b"--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--",
    ],
)
def test_parse_multipart_malformed(body: bytes) -> None:
    with pytest.raises(HTTPInputError):
        parse_body_arguments("multipart/form-data; boundary=B", body, {}, {})
    with pytest.raises(HTTPInputError):
        parse_body_arguments("multipart/form-data", body, {}, {})


def test_server_request_attributes() -> None:
    headers = HTTPHeaders(
        {
            "Host": "Example.com:8080",
            "Cookie": 'a=1; b="2"',
            "Content-Type": "application/x-www-form-urlencoded",
        }
    )
    req = HTTPServerRequest(
        start_line=RequestStartLine("POST", "/p/q?x=1&x=2&e=", "HTTP/1.1"),
        headers=headers,
        body=b"x=3&y=4",
    )
    assert (req.method, req.uri, req.path, req.query, req.version) == (
        "POST",
        "/p/q?x=1&x=2&e=",
        "/p/q",
        "x=1&x=2&e=",
        "HTTP/1.1",
    )
    assert req.host == "Example.com:8080" and req.host_name == "example.com"
    assert req.protocol == "http" and req.remote_ip is None
    assert req.full_url() == "http://Example.com:8080/p/q?x=1&x=2&e="
    assert req.query_arguments == {"x": [b"1", b"2"], "e": [b""]}
    req._parse_body()
    assert req.body_arguments == {"x": [b"3"], "y": [b"4"]}
    assert req.arguments["x"] == [b"1", b"2", b"3"]
    assert req.query_arguments["x"] == [b"1", b"2"]
    assert {k: m.value for k, m in req.cookies.items()} == {"a": "1", "b": "2"}
    assert req.request_time() >= 0
    assert req.get_ssl_certificate() is None
    assert "POST" in repr(req)


def test_server_request_absolute_form_and_defaults() -> None:
    req = HTTPServerRequest("GET", "http://other:81/a/b?c=d", headers=HTTPHeaders({"Host": "h"}))
    assert (req.uri, req.path, req.query, req.host) == ("/a/b?c=d", "/a/b", "c=d", "other:81")
    req = HTTPServerRequest("GET", "https://other")
    assert (req.uri, req.path, req.host) == ("/", "/", "other")
    req = HTTPServerRequest("GET", "/x?u=http://y")
    assert req.path == "/x" and req.host == "127.0.0.1"
    assert req.body == b"" and req.files == {} and req.version == "HTTP/1.0"
