"""Small HTTP helpers: timestamps, URLs, cookies, host/port and credentials."""

from __future__ import annotations

import calendar
import datetime
import email.utils
import http.client
import re
import time
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Status code -> reason phrase (RFC 9110 §15), as in ``http.client.responses``.
responses: dict[int, str] = dict(http.client.responses)


def format_timestamp(
    ts: float | tuple[int, ...] | time.struct_time | datetime.datetime,
) -> str:
    """Format a time as an HTTP-date (RFC 9110 §5.6.7 IMF-fixdate).

    Follows Tornado's ``format_timestamp``.

    Args:
        ts: seconds since the epoch (``int``/``float``), a UTC ``time.struct_time``
            or tuple as returned by ``time.gmtime``, or a ``datetime`` (naive values
            are taken as UTC).

    Returns:
        e.g. ``"Sun, 06 Nov 1994 08:49:37 GMT"``.

    Raises:
        TypeError: for any other type.
    """
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        seconds = float(ts)
    elif isinstance(ts, tuple | time.struct_time):
        seconds = float(calendar.timegm(ts))
    elif isinstance(ts, datetime.datetime):
        if ts.tzinfo is not None:
            seconds = ts.timestamp()
        else:
            seconds = float(calendar.timegm(ts.utctimetuple())) + ts.microsecond / 1e6
    else:
        raise TypeError(f"unknown timestamp type: {ts!r}")
    return email.utils.formatdate(seconds, usegmt=True)


def url_concat(
    url: str,
    args: Mapping[str, str] | Sequence[tuple[str, str]] | None,
) -> str:
    """Append query arguments to ``url``, keeping any query it already has.

    Follows Tornado's ``url_concat``: ``url_concat("http://h/p?a=1", {"b": "2"})``
    is ``"http://h/p?a=1&b=2"``; repeated names are kept.

    Args:
        url: an absolute or relative URL.
        args: a mapping or a sequence of ``(name, value)`` pairs, or ``None``.

    Returns:
        The new URL (``str``).

    Raises:
        TypeError: if ``args`` is neither a mapping nor a list/tuple of pairs.
    """
    if args is None:
        return url
    parsed = urllib.parse.urlparse(url)
    query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    if isinstance(args, Mapping):
        query.extend(args.items())
    elif isinstance(args, list | tuple):
        query.extend(args)
    else:
        raise TypeError(f"'args' must be a mapping or a sequence of pairs, not {type(args)}")
    return urllib.parse.urlunparse(parsed._replace(query=urllib.parse.urlencode(query)))


def qs_to_qsl(qs: Mapping[str, Iterable[Any]]) -> Iterable[tuple[str, Any]]:
    """Turn a ``{name: [values]}`` dict (from ``parse_qs``) into ``(name, value)`` pairs.

    Args:
        qs: mapping of name to an iterable of values.

    Returns:
        A generator of ``(name, value)`` pairs, one per value.
    """
    for name, values in qs.items():
        for value in values:
            yield name, value


_COOKIE_ESCAPE_RE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)


def _unquote_cookie_value(value: str) -> str:
    """Undo the ``"..."`` quoting Python's ``http.cookies`` applies (linear time)."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    return _COOKIE_ESCAPE_RE.sub(
        lambda m: chr(int(m.group(1), 8)) if m.group(1) else m.group(2), inner
    )


def parse_cookie(cookie: str) -> dict[str, str]:
    """Parse a ``Cookie`` request header into ``{name: value}`` (RFC 6265 §5.4).

    Follows Tornado's ``parse_cookie`` (and browsers): pairs are split on ``;``, a
    pair without ``=`` is a value with an empty name, surrounding whitespace is
    stripped, double-quoted values are unquoted, later duplicates win. Runs in
    time linear in ``len(cookie)``.

    Args:
        cookie: the header value.

    Returns:
        A new ``dict[str, str]``.
    """
    result: dict[str, str] = {}
    for chunk in cookie.split(";"):
        name, sep, value = chunk.partition("=")
        if not sep:
            name, value = "", name
        name = name.strip()
        value = value.strip()
        if name or value:
            result[name] = _unquote_cookie_value(value)
    return result


def split_host_and_port(netloc: str) -> tuple[str, int | None]:
    """Split ``"host:port"`` into ``(host, port)``.

    Follows Tornado's ``split_host_and_port``: the port is the run of digits after
    the last colon; bracketed IPv6 literals keep their brackets.

    Args:
        netloc: e.g. ``"example.com:8080"``, ``"[::1]:80"`` or ``"example.com"``.

    Returns:
        ``(host, port)`` with ``port`` an ``int``, or ``(netloc, None)`` when there is
        no port.
    """
    host, sep, port = netloc.rpartition(":")
    if sep and host and 0 < len(port) <= 10 and port.isascii() and port.isdigit():
        return host, int(port)
    return netloc, None


def encode_username_password(username: str | bytes, password: str | bytes) -> bytes:
    """Encode credentials as ``b"username:password"`` for Basic auth (RFC 7617).

    Args:
        username: ``str`` (encoded as UTF-8) or ``bytes``.
        password: ``str`` (encoded as UTF-8) or ``bytes``.

    Returns:
        ``bytes``; base64-encode it for an ``Authorization`` header.
    """
    if isinstance(username, str):
        username = username.encode("utf-8")
    if isinstance(password, str):
        password = password.encode("utf-8")
    return username + b":" + password
