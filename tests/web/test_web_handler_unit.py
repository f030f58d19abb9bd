"""RequestHandler behaviour that needs no connection: headers, arguments, ETags, errors."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.httputil import HTTPHeaders, HTTPServerRequest
from squall.web import (
    Application,
    Finish,
    HTTPError,
    MissingArgumentError,
    RequestHandler,
    version,
)
from squall.web._error_page import convert_header_value, render_error_page


def make_handler(uri: str = "/", method: str = "GET", **headers: str) -> RequestHandler:
    request = HTTPServerRequest(method=method, uri=uri, headers=HTTPHeaders(headers))
    return RequestHandler(Application(), request)


def test_version_is_a_string() -> None:
    assert isinstance(version, str)
    assert version


def test_default_headers() -> None:
    handler = make_handler()
    assert handler._headers["Server"] == f"SquallServer/{version}"
    assert handler._headers["Content-Type"] == "text/html; charset=UTF-8"
    assert handler._headers["Date"].endswith(" GMT")
    assert handler.get_status() == 200


@pytest.mark.parametrize("bad", ["a\r\nb", "a\nb", "a\rb", "a\x00b", "\x1f"])
def test_set_header_rejects_control_characters(bad: str) -> None:
    handler = make_handler()
    with pytest.raises(ValueError):
        handler.set_header("X-Test", bad)
    with pytest.raises(ValueError):
        handler.add_header("X-Test", bad)


@pytest.mark.parametrize("bad", ["", "X Test", "X:Test", "X\r\nY", "Ünï"])
def test_set_header_rejects_bad_names(bad: str) -> None:
    with pytest.raises(ValueError):
        make_handler().set_header(bad, "v")


def test_header_value_conversion() -> None:
    assert convert_header_value(12) == "12"
    assert convert_header_value(b"caf\xe9") == "café"
    assert convert_header_value("a\tb") == "a\tb"
    when = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert convert_header_value(when) == "Thu, 02 Jan 2020 03:04:05 GMT"
    with pytest.raises(TypeError):
        convert_header_value(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        convert_header_value(True)


@given(st.text(max_size=50))
def test_header_values_never_carry_line_breaks(value: str) -> None:
    try:
        out = convert_header_value(value)
    except ValueError:
        return
    assert "\r" not in out and "\n" not in out and "\x00" not in out


def test_set_add_clear_header() -> None:
    handler = make_handler()
    handler.set_header("X-A", "1")
    handler.add_header("X-A", "2")
    assert handler._headers.get_list("X-A") == ["1", "2"]
    handler.set_header("x-a", "3")
    assert handler._headers.get_list("X-A") == ["3"]
    handler.clear_header("X-A")
    handler.clear_header("Server")
    handler.clear_header("Never-Set")
    assert "X-A" not in handler._headers
    assert "Server" not in handler._headers


def test_set_status() -> None:
    handler = make_handler()
    handler.set_status(404)
    assert handler._reason == "Not Found"
    handler.set_status(299)
    assert handler._reason == "Unknown"
    handler.set_status(418, "Teapot")
    assert (handler.get_status(), handler._reason) == (418, "Teapot")
    with pytest.raises(ValueError):
        handler.set_status(400, "Bad\r\nX-Injected: 1")
    with pytest.raises(ValueError):
        handler.set_status(42)


def test_write_types() -> None:
    handler = make_handler()
    handler.write("é")
    handler.write(b"\x00")
    handler.write({"a": [1, "</script>"]})
    assert handler._write_buffer[:2] == [b"\xc3\xa9", b"\x00"]
    assert handler._headers["Content-Type"] == "application/json; charset=UTF-8"
    assert b"<\\/script>" in handler._write_buffer[2]
    with pytest.raises(TypeError, match="Lists not accepted"):
        handler.write([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        handler.write(3)  # type: ignore[arg-type]


def test_arguments() -> None:
    request = HTTPServerRequest(
        method="POST",
        uri="/?a=1&a=%202%20&c=%00x&bad=%FF",
        headers=HTTPHeaders({"Content-Type": "application/x-www-form-urlencoded"}),
        body=b"a=3&b=four",
    )
    request._parse_body()
    handler = RequestHandler(Application(), request)
    assert handler.get_argument("a") == "3"
    assert handler.get_arguments("a") == ["1", "2", "3"]
    assert handler.get_arguments("a", strip=False) == ["1", " 2 ", "3"]
    assert handler.get_query_argument("a") == "2"
    assert handler.get_query_arguments("a") == ["1", "2"]
    assert handler.get_body_argument("b") == "four"
    assert handler.get_body_arguments("a") == ["3"]
    assert handler.get_argument("c") == "x"
    assert handler.get_argument("c", strip=False) == " x"
    assert handler.get_argument("zz", None) is None
    assert handler.get_argument("zz", "dflt") == "dflt"
    assert handler.get_body_argument("zz", "d") == "d"
    with pytest.raises(MissingArgumentError) as info:
        handler.get_argument("zz")
    assert info.value.status_code == 400
    assert info.value.arg_name == "zz"
    with pytest.raises(MissingArgumentError):
        handler.get_query_argument("b")
    with pytest.raises(HTTPError) as bad:
        handler.get_argument("bad")
    assert bad.value.status_code == 400


def test_etag_computation_and_check() -> None:
    handler = make_handler()
    handler.write(b"hello")
    assert handler.compute_etag() == '"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"'
    handler.set_etag_header()
    etag = handler._headers["Etag"]
    for header, expected in [
        (etag, True),
        ("W/" + etag, True),
        ('"other", ' + etag, True),
        ("*", True),
        ('"other"', False),
        ("", False),
        ("garbage", False),
    ]:
        checker = make_handler(**{"If-None-Match": header} if header else {})
        checker._headers["Etag"] = etag
        assert checker.check_etag_header() is expected, header


def test_etag_disabled_when_compute_returns_none() -> None:
    class NoEtag(RequestHandler):
        def compute_etag(self) -> None:
            return None

    request = HTTPServerRequest(method="GET", uri="/", headers=HTTPHeaders())
    handler = NoEtag(Application(), request)
    handler.set_etag_header()
    assert "Etag" not in handler._headers
    assert handler.check_etag_header() is False


def test_http_error_str_and_formatting() -> None:
    assert str(HTTPError(404)) == "HTTP 404: Not Found"
    assert str(HTTPError(599)) == "HTTP 599: Unknown"
    assert str(HTTPError(400, "bad %s", "thing")) == "HTTP 400: Bad Request (bad thing)"
    assert str(HTTPError(400, "100% literal")) == "HTTP 400: Bad Request (100% literal)"
    assert str(HTTPError(418, reason="Teapot")) == "HTTP 418: Teapot"
    assert str(MissingArgumentError("q")) == "HTTP 400: Bad Request (Missing argument q)"
    assert isinstance(Finish(), Exception)


def test_error_page_escapes_reason() -> None:
    page = render_error_page(404, "<script>x</script>")
    assert "<script>" not in page
    assert "404: &lt;script&gt;x&lt;/script&gt;" in page


def test_render_not_available_yet() -> None:
    with pytest.raises(NotImplementedError, match="template"):
        make_handler().render("x.html")


def test_cookie_validation() -> None:
    handler = make_handler(Cookie="a=1; b=two")
    assert handler.get_cookie("a") == "1"
    assert handler.get_cookie("b") == "two"
    assert handler.get_cookie("zz") is None
    assert handler.get_cookie("zz", "d") == "d"
    for name, value in [("a b", "v"), ("a", "v\r\n"), ("a", "x;y z"), ("a;b", "v"), ("", "v")]:
        with pytest.raises(ValueError):
            handler.set_cookie(name, value)
    with pytest.raises(ValueError):
        handler.set_cookie("a", "v", path="/;evil")
    with pytest.raises(TypeError):
        handler.clear_cookie("a", expires=1)


@given(st.text(max_size=300), st.sampled_from(['"abc"', 'W/"abc"', '"x"']))
def test_check_etag_header_on_hostile_if_none_match(header: str, etag: str) -> None:
    handler = make_handler(**{"If-None-Match": header})
    handler._headers["Etag"] = etag
    result = handler.check_etag_header()
    assert isinstance(result, bool)
    if '"abc"' not in header and "*" not in header and '"x"' not in header:
        assert result is False


def test_check_etag_header_is_linear() -> None:
    import time

    handler = make_handler(**{"If-None-Match": '"' + "W/" * 100_000 + ", " * 100_000})
    handler._headers["Etag"] = '"a"'
    start = time.perf_counter()
    assert handler.check_etag_header() is False
    assert time.perf_counter() - start < 1.0
