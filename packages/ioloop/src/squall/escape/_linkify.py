"""Turn URLs in plain text into HTML links."""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from squall.escape._codecs import xhtml_escape

# A scheme followed by one to three slashes, or a bare "www." host. The body is
# any run of characters that cannot end a URL in running text.
_URL_START = re.compile(
    r"(?<![\w.+-])(?:(?P<proto>[A-Za-z][A-Za-z0-9+.-]*):(?P<slashes>/{1,3})|(?P<www>www\.))"
    r"(?P<body>[^\s<>\"'`]*)"
)
_TRAILING = frozenset(".,;:!?*")
_MAX_DISPLAY = 30


def _trim(url: str) -> str:
    """Drop trailing punctuation and unbalanced closing parentheses (linear time)."""
    opens = url.count("(")
    closes = url.count(")")
    end = len(url)
    while end:
        ch = url[end - 1]
        if ch in _TRAILING:
            end -= 1
        elif ch == ")" and closes > opens:
            closes -= 1
            end -= 1
        else:
            break
    return url[:end]


def linkify(
    text: str | bytes,
    shorten: bool = False,
    extra_params: str | Callable[[str], str] = "",
    require_protocol: bool = False,
    permitted_protocols: Container[str] = ("http", "https"),
) -> str:
    """HTML-escape ``text`` and wrap the URLs it contains in ``<a>`` links.

    Follows ``tornado.escape.linkify``.

    Args:
        text: plain text (``str`` or UTF-8 ``bytes``).
        shorten: shorten the link text of long URLs (the full URL goes in ``title``).
        extra_params: extra attributes for every ``<a>`` tag, or a callable
            taking the URL and returning them (e.g. ``'rel="nofollow"'``).
        require_protocol: only link URLs with a scheme (not bare ``www.`` hosts).
        permitted_protocols: schemes that may be linked; other URLs stay text.
            Do not add ``javascript``.

    Returns:
        Escaped HTML text.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    out: list[str] = []
    pos = 0
    for match in _URL_START.finditer(text):
        proto = match.group("proto")
        if proto is not None and proto.lower() not in permitted_protocols:
            continue
        if proto is None and require_protocol:
            continue
        prefix_len = match.end("body") - match.start() - len(match.group("body"))
        url = _trim(match.group(0))
        if len(url) <= prefix_len and proto is not None:
            continue
        start = match.start()
        out.append(xhtml_escape(text[pos:start]))
        pos = start + len(url)
        href = url if proto is not None else "http://" + url
        params = extra_params(href).strip() if callable(extra_params) else extra_params.strip()
        display = url
        if shorten and len(url) > _MAX_DISPLAY:
            display = url[:_MAX_DISPLAY] + "..."
            params = (params + " " if params else "") + f'title="{xhtml_escape(href)}"'
        attrs = " " + params if params else ""
        out.append(f'<a href="{xhtml_escape(href)}"{attrs}>{xhtml_escape(display)}</a>')
    out.append(xhtml_escape(text[pos:]))
    return "".join(out)
