"""The client's fast paths give the same results as the general paths they shortcut.

* ``parse_response_head``: one whole-head regex, else the line-by-line checks;
* ``format_request_head``: one whole-head check, else the field-by-field checks;
* ``_RequestProxy``: arguments resolved eagerly, as Tornado's lazy rule would;
* ``Deadlines``: one timer for every request timeout of a client;
* ``read_response``: the gzip decoder only for an encoded body;
* completion of a fetch inside its task, with a done-callback only for cancellation.
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.http1connection import HTTPParseError
from squall.http1connection import _client as client_side
from squall.http1connection._response_parser import (
    _parse_head_checked,
    parse_response_head,
    response_body_length,
)
from squall.httpclient import (
    AsyncHTTPClient,
    HTTPClientError,
    HTTPRequest,
    HTTPStreamClosedError,
    HTTPTimeoutError,
)
from squall.httpclient._request import _DEFAULTS, _RequestProxy
from squall.httputil import HTTPHeaders, HTTPOutputError, RequestStartLine, ResponseStartLine
from squall.simple_httpclient._deadlines import Deadline, Deadlines

# -- response heads ----------------------------------------------------------------------

# Characters chosen to hit every rule: token and non-token bytes, controls, obs-text,
# whitespace, colons, bare CR and LF.
_HEAD_CHARS = st.sampled_from(
    [*"aZ09-!~ :\t/.", "\r", "\n", "\r\n", "\x00", "\x7f", "\x01", "\xe9", "\x80"]
)
_head_text = st.lists(_HEAD_CHARS, max_size=40).map("".join)


@st.composite
def response_heads(draw: st.DrawFn) -> str:
    status = draw(
        st.one_of(
            st.sampled_from(["HTTP/1.1 200 OK", "HTTP/1.0 404 Not Found", "HTTP/1.1 204"]),
            st.builds(
                "HTTP/{}.{} {} {}".format,
                st.sampled_from(["1", "2"]),
                st.sampled_from(["0", "1", "9"]),
                st.sampled_from(["099", "100", "200", "999", "20", "2000"]),
                _head_text,
            ),
        )
    )
    fields = draw(
        st.lists(
            st.one_of(
                st.builds("{}:{}".format, st.sampled_from(["Host", "X-A", "a b", ""]), _head_text),
                _head_text,
            ),
            max_size=6,
        )
    )
    return "\r\n".join([status, *fields])


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        start_line, headers = fn(*args)
    except HTTPParseError as e:
        return ("error", str(e), e.code)
    return ("ok", start_line, list(headers.get_all()))


@settings(max_examples=400)
@given(response_heads(), st.integers(min_value=0, max_value=8))
def test_response_head_fast_path_matches_checked_path(text: str, max_fields: int) -> None:
    block = text.encode("latin-1")
    fast = _outcome(parse_response_head, block, max_fields)
    checked = _outcome(_parse_head_checked, text, max_fields)
    assert fast == checked


def test_response_head_fast_path_values() -> None:
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain \r\nX-A:\tb, c\r\nx-a: d"
    start_line, headers = parse_response_head(block)
    assert (start_line.version, start_line.code, start_line.reason) == ("HTTP/1.1", 200, "OK")
    assert list(headers.get_all()) == [
        ("Content-Type", "text/plain"),
        ("X-A", "b, c"),
        ("X-A", "d"),
    ]


def _reference_length(cl: list[str]) -> Any:
    """RFC 9112 §6.3 rule 5 without shortcuts: every value of every field must agree."""
    values = {v.strip(" \t") for item in cl for v in item.split(",")}
    if len(values) != 1:
        return "error"
    (value,) = values
    if not value or not all(c in "0123456789" for c in value):
        return "error"
    value = value.lstrip("0") or "0"
    return "error" if len(value) > 19 else int(value)


@given(
    st.lists(
        st.one_of(
            st.integers(0, 10**21).map(str),
            st.sampled_from(
                ["", " 7 ", "7,7", "7, 8", "0x10", "+5", "\u0665", "\xb2", "1 2", "007"]
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_content_length_fast_path_matches_reference(cl: list[str]) -> None:
    headers = HTTPHeaders()
    for value in cl:
        headers.add("Content-Length", value)
    try:
        got: Any = response_body_length("GET", ResponseStartLine("HTTP/1.1", 200, "OK"), headers)
    except HTTPParseError:
        got = "error"
    assert got == _reference_length(cl)


# -- request heads -----------------------------------------------------------------------

_REQ_CHARS = st.sampled_from([*"aZ09-!~ :/?.=", "\r", "\n", "\x00", "\t", "\xe9", "\u20ac"])
_req_text = st.lists(_REQ_CHARS, max_size=12).map("".join)


class _FakeConn:
    """The attributes ``format_request_head`` reads and sets on a connection."""

    def __init__(self) -> None:
        self._response_started = False
        self.no_keep_alive = False


def _format(method: str, target: str, pairs: list[tuple[str, str]]) -> Any:
    headers = HTTPHeaders()
    for name, value in pairs:
        headers.add(name, value)
    try:
        conn: Any = _FakeConn()
        return client_side.format_request_head(
            conn, RequestStartLine(method, target, "HTTP/1.1"), headers
        )
    except HTTPOutputError as e:
        return ("error", str(e))


def _format_slow(method: str, target: str, pairs: list[tuple[str, str]]) -> Any:
    # The general path: every field checked one by one, then the same formatting.
    headers = HTTPHeaders()
    for name, value in pairs:
        headers.add(name, value)
    try:
        client_side._check_head(method, target, headers)
    except HTTPOutputError as e:
        return ("error", str(e))
    return None


@settings(max_examples=400)
@given(
    st.one_of(st.sampled_from(["GET", "POST", "PUT"]), _req_text),
    st.one_of(st.sampled_from(["/", "/a?b=c", "http://h/x"]), _req_text),
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["Host", "X-A", "Content-Type"]), _req_text),
            _req_text,
        ),
        max_size=4,
    ),
)
def test_request_head_fast_check_matches_field_checks(
    method: str, target: str, pairs: list[tuple[str, str]]
) -> None:
    pairs = [("Host", "example.com"), *pairs]
    slow_error = _format_slow(method, target, pairs)
    result = _format(method, target, pairs)
    if slow_error is not None:
        assert result == slow_error  # the same error, found by the slow path
        return
    headers = HTTPHeaders()
    for name, value in pairs:
        headers.add(name, value)
    lines = [f"{method} {target} HTTP/1.1"] + [f"{n}: {v}" for n, v in headers.get_all()]
    assert client_side._head_is_safe("\r\n".join(lines), len(lines))
    if isinstance(result, tuple):  # a later rule (Host, Content-Length, Latin-1) failed
        assert result[0] == "error"
        assert "invalid character" not in result[1]
        assert "invalid header name" not in result[1]
        return
    assert result.startswith(lines[0].encode("latin-1") + b"\r\n")


def test_request_head_fast_check_rejects_injection_attempts() -> None:
    for value in ("a\r\nEvil: x", "a\nb", "a\rb", "a\x00b"):
        result = _format("GET", "/", [("Host", "h"), ("X-A", value)])
        assert result[0] == "error"
        assert "invalid character in header X-A" in result[1]
    assert _format("GET", "/a b", [("Host", "h")])[0] == "error"
    assert _format("G T", "/", [("Host", "h")])[0] == "error"
    assert _format("GET", "/", [("Host", "h"), ("Bad Name", "v")]) == (
        "error",
        "invalid header name 'Bad name'",  # as HTTPHeaders normalised it
    )


def test_request_head_added_fields_come_last_in_order() -> None:
    conn: Any = _FakeConn()
    conn.no_keep_alive = True
    headers = HTTPHeaders({"Host": "h", "X-A": "1"})
    data = client_side.format_request_head(
        conn, RequestStartLine("POST", "/", "HTTP/1.1"), headers
    )
    assert data == (
        b"POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert headers["Transfer-Encoding"] == "chunked"
    assert headers["Connection"] == "close"


# -- request defaults ----------------------------------------------------------------------

_ARGS = ["follow_redirects", "max_redirects", "user_agent", "connect_timeout", "validate_cert"]


@given(
    st.dictionaries(st.sampled_from(_ARGS), st.one_of(st.none(), st.integers(0, 3))),
    st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from([*_ARGS, "body", "not_an_argument"]), st.integers(0, 3)),
    ),
)
def test_request_proxy_resolves_like_tornados_lazy_rule(
    args: dict[str, Any], defaults: dict[str, Any] | None
) -> None:
    request = HTTPRequest("http://example.com/", **args)
    proxy = _RequestProxy(request, defaults)
    for name in [*_ARGS, "body", "headers", "method", "url", "proxy_host"]:
        expected = getattr(request, name)
        if expected is None and defaults is not None:
            expected = defaults.get(name)
        assert getattr(proxy, name) == expected, name
    with pytest.raises(AttributeError):
        _ = proxy.not_an_argument


def test_request_proxy_with_client_defaults() -> None:
    proxy: Any = _RequestProxy(HTTPRequest("http://h/", request_timeout=3.0), dict(_DEFAULTS))
    assert proxy.request_timeout == 3.0
    assert proxy.connect_timeout == _DEFAULTS["connect_timeout"]
    assert proxy.auth_username is None


# -- deadlines -----------------------------------------------------------------------------


def _expired(deadline: Deadline) -> bool:
    return deadline.expired  # (read through a call: mypy narrowed it to False above)


def test_deadlines_one_timer_earliest_first_and_removal() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines()
        slow = loop.create_task(asyncio.sleep(10))
        fast = loop.create_task(asyncio.sleep(10))
        kept = loop.create_task(asyncio.sleep(10))
        now = loop.time()
        d_slow = deadlines.add(loop, now + 0.3, slow)
        d_kept = deadlines.add(loop, now + 0.05, kept)
        d_fast = deadlines.add(loop, now + 0.1, fast)  # later than the armed one
        deadlines.remove(d_kept)  # finished in time: never cancelled
        await asyncio.sleep(0.2)
        assert fast.cancelled() and d_fast.expired
        assert not slow.done() and not d_slow.expired
        assert not kept.done() and not d_kept.expired
        await asyncio.sleep(0.2)
        assert slow.cancelled() and _expired(d_slow)
        kept.cancel()
        deadlines.close()

    asyncio.run(main())


def test_request_timeouts_differ_per_request_on_one_client(h: Any) -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await h.read_request(reader)
        await asyncio.sleep(1.5)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    async def main() -> None:
        async with h.raw_server(stall) as port:
            client = AsyncHTTPClient(force_instance=True)
            url = f"http://127.0.0.1:{port}/"
            loop = asyncio.get_running_loop()
            long = asyncio.ensure_future(client.fetch(url, request_timeout=5))
            await asyncio.sleep(0.05)
            start = loop.time()
            with pytest.raises(HTTPTimeoutError, match="during request"):
                await client.fetch(url, request_timeout=0.2)
            assert 0.15 < loop.time() - start < 1.0
            response = await long
            assert response.body == b"ok"
            client.close()

    asyncio.run(main())


def test_cancelled_fetch_task_reports_cancelled_not_timeout(h: Any) -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await h.read_request(reader)
        await asyncio.sleep(2)

    async def main() -> None:
        async with h.raw_server(stall) as port:
            client: Any = AsyncHTTPClient(force_instance=True)
            future = client.fetch(f"http://127.0.0.1:{port}/", request_timeout=5)
            await asyncio.sleep(0.1)
            for task in list(client._tasks):
                task.cancel()
            with pytest.raises(HTTPStreamClosedError, match="Cancelled"):
                await future
            assert not client.active and not client._tasks
            # A task cancelled before it ever ran still completes its fetch.
            future = client.fetch(f"http://127.0.0.1:{port}/")
            for task in list(client._tasks):
                task.cancel()
            with pytest.raises(HTTPStreamClosedError, match="Cancelled"):
                await future
            assert not client.active and not client._tasks
            client.close()

    asyncio.run(main())


# -- lazy decompression ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "br", None])
def test_decoder_only_for_an_encoded_body_and_caps_still_apply(
    h: Any, encoding: str | None
) -> None:
    payload = b"x" * 5000
    body = gzip.compress(payload) if encoding == "gzip" else payload
    extra = f"Content-Encoding: {encoding}\r\n" if encoding else ""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await h.read_request(reader)
            head = f"HTTP/1.1 200 OK\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body)
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(serve) as port:
            url = f"http://127.0.0.1:{port}/"
            client = AsyncHTTPClient(force_instance=True)
            response = await client.fetch(url)
            assert response.body == (payload if encoding != "br" else body)
            if encoding == "gzip":
                assert "Content-Encoding" not in response.headers
                assert response.headers["X-Consumed-Content-Encoding"] == "gzip"
            elif encoding == "br":
                assert response.headers["Content-Encoding"] == "br"
            client.close()
            small = AsyncHTTPClient(force_instance=True, max_body_size=4000)
            with pytest.raises(HTTPClientError) as info:
                await small.fetch(url)
            assert "max_body_size" in str(info.value) or "too long" in str(info.value)
            small.close()

    asyncio.run(main())


def test_target_characters_outside_visible_ascii_are_rejected_before_sending() -> None:
    for target in ("/\u20ac", "/caf\xe9"):
        assert _format("GET", target, [("Host", "h")])[0] == "error"
