"""Tests for squall.escape, including Hypothesis round trips."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.escape import (
    json_decode,
    json_encode,
    linkify,
    native_str,
    parse_qs_bytes,
    recursive_unicode,
    squeeze,
    to_unicode,
    url_escape,
    url_unescape,
    utf8,
    xhtml_escape,
    xhtml_unescape,
)


def test_xhtml_escape_known() -> None:
    assert xhtml_escape('<a href="x">&\'</a>') == (
        "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;&lt;/a&gt;"
    )
    assert xhtml_escape(b"\xc3\xa9<") == "é&lt;"


def test_xhtml_unescape_known() -> None:
    assert xhtml_unescape("&lt;&#39;&#x27;&amp;amp;&foo;") == "<''&amp;&foo;"
    assert xhtml_unescape("&#xzz;") == "&#xzz;"
    assert xhtml_unescape("&#1114112;") == "\ufffd"


@given(st.text())
def test_xhtml_roundtrip(s: str) -> None:
    escaped = xhtml_escape(s)
    assert not set("<>\"'") & set(escaped)
    assert xhtml_unescape(escaped) == s


def test_json_encode_escapes_script_close() -> None:
    assert json_encode("</script>") == '"<\\/script>"'
    assert json_decode(json_encode({"a": "</b>"})) == {"a": "</b>"}
    assert json_decode(b'{"x": [1, 2]}') == {"x": [1, 2]}
    with pytest.raises(ValueError):
        json_decode("{not json")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_json_values)
def test_json_roundtrip(value: Any) -> None:
    encoded = json_encode(value)
    assert "</" not in encoded
    assert json_decode(encoded) == value
    assert json.loads(encoded) == value


def test_url_escape_known() -> None:
    assert url_escape("a b/c+é") == "a+b%2Fc%2B%C3%A9"
    assert url_escape("a b/c+é", plus=False) == "a%20b/c%2B%C3%A9"
    assert url_escape(b"\xff") == "%FF"


def test_url_unescape_known() -> None:
    assert url_unescape("a+b%20c") == "a b c"
    assert url_unescape("a+b%20c", plus=False) == "a+b c"
    assert url_unescape("a+b%20c%FF", encoding=None) == b"a b c\xff"
    assert url_unescape(b"%C3%A9") == "é"
    # Truncated or invalid escapes are kept literally, never an error.
    assert url_unescape("%", encoding=None) == b"%"
    assert url_unescape("%zz%4") == "%zz%4"


@given(st.text(), st.booleans())
def test_url_roundtrip_text(s: str, plus: bool) -> None:
    assert url_unescape(url_escape(s, plus=plus), plus=plus) == s


@given(st.binary(), st.booleans())
def test_url_roundtrip_bytes(b: bytes, plus: bool) -> None:
    assert url_unescape(url_escape(b, plus=plus), encoding=None, plus=plus) == b


def test_parse_qs_bytes() -> None:
    assert parse_qs_bytes("a=1&b=%ff&c") == {"a": [b"1"], "b": [b"\xff"]}
    assert parse_qs_bytes(b"a=1&a=2&c=", keep_blank_values=True) == {
        "a": [b"1", b"2"],
        "c": [b""],
    }
    with pytest.raises(ValueError):
        parse_qs_bytes("a", strict_parsing=True)


@given(st.dictionaries(st.text(min_size=1), st.lists(st.binary(), min_size=1, max_size=3)))
def test_parse_qs_bytes_roundtrip(data: dict[str, list[bytes]]) -> None:
    qs = "&".join(
        f"{url_escape(k.encode('latin1', 'replace'))}={url_escape(v)}"
        for k, vs in data.items()
        for v in vs
    )
    parsed = parse_qs_bytes(qs, keep_blank_values=True)
    expected: dict[str, list[bytes]] = {}
    for k, vs in data.items():
        expected.setdefault(k.encode("latin1", "replace").decode("latin1"), []).extend(vs)
    assert parsed == expected


def test_utf8_to_unicode() -> None:
    assert utf8("é") == b"\xc3\xa9"
    assert utf8(b"x") == b"x"
    assert utf8(None) is None
    assert to_unicode(b"\xc3\xa9") == "é"
    assert to_unicode(None) is None
    assert native_str is to_unicode
    with pytest.raises(TypeError):
        utf8(1)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        to_unicode(1)  # type: ignore[call-overload]
    with pytest.raises(UnicodeDecodeError):
        to_unicode(b"\xff")


@given(st.text())
def test_utf8_roundtrip(s: str) -> None:
    assert to_unicode(utf8(s)) == s


def test_recursive_unicode_and_squeeze() -> None:
    data = {b"k": [b"v", (b"t", 1)], "s": None}
    assert recursive_unicode(data) == {"k": ["v", ("t", 1)], "s": None}
    assert squeeze(" a  \t\n b \x00c ") == "a b c"


def test_linkify() -> None:
    assert linkify("see http://example.com/a?b=1&c=2.") == (
        'see <a href="http://example.com/a?b=1&amp;c=2">http://example.com/a?b=1&amp;c=2</a>.'
    )
    assert linkify("www.x.com!") == '<a href="http://www.x.com">www.x.com</a>!'
    assert linkify("www.x.com", require_protocol=True) == "www.x.com"
    assert linkify("(http://a.b/c(d))") == '(<a href="http://a.b/c(d)">http://a.b/c(d)</a>)'
    assert linkify("javascript://alert(1)") == "javascript://alert(1)"
    assert linkify("ftp://x.y/z", permitted_protocols=["ftp"]) == (
        '<a href="ftp://x.y/z">ftp://x.y/z</a>'
    )
    assert linkify("<b>http://a.b</b>") == '&lt;b&gt;<a href="http://a.b">http://a.b</a>&lt;/b&gt;'
    assert linkify("http://a.b", extra_params='rel="nofollow"') == (
        '<a href="http://a.b" rel="nofollow">http://a.b</a>'
    )
    assert linkify("http://a.b", extra_params=lambda url: 'class="ext"') == (
        '<a href="http://a.b" class="ext">http://a.b</a>'
    )
    long_url = "http://example.com/" + "x" * 60
    shortened = linkify(long_url, shorten=True)
    assert f'title="{long_url}"' in shortened
    assert "...</a>" in shortened


def test_linkify_is_linear_on_hostile_input() -> None:
    for hostile in ("a" * 200_000, "http://" + ")" * 200_000, "www." * 50_000, ".:/" * 70_000):
        start = time.monotonic()
        linkify(hostile)
        assert time.monotonic() - start < 2


@given(st.text())
def test_linkify_never_emits_raw_markup(s: str) -> None:
    out = linkify(s)
    # Every "<" in the output starts one of our own tags.
    stripped = out.replace("<a href=", "").replace("</a>", "")
    assert "<" not in stripped
