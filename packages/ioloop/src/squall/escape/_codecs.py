"""HTML, JSON and URL escaping."""

from __future__ import annotations

import html
import json
import urllib.parse
from typing import Any, overload

from squall.escape._text import to_unicode


def xhtml_escape(value: str | bytes) -> str:
    """Escape a string for HTML/XML text or attribute values.

    ``&``, ``<``, ``>``, ``"`` and ``'`` become ``&amp;``, ``&lt;``, ``&gt;``,
    ``&quot;`` and ``&#x27;`` (Tornado 6.5 behaviour, :func:`html.escape`).

    Args:
        value: text, or UTF-8 bytes.
    """
    return html.escape(to_unicode(value), quote=True)


def xhtml_unescape(value: str | bytes) -> str:
    """Replace HTML character references (named, decimal, hex) with their characters.

    Follows the HTML5 rules of :func:`html.unescape`; unknown references are left as is.

    Args:
        value: text, or UTF-8 bytes.
    """
    return html.unescape(to_unicode(value))


def json_encode(value: Any) -> str:
    """Serialise ``value`` to JSON, escaping ``</`` as ``<\\/``.

    The escape keeps the output safe to embed in an HTML ``<script>`` block,
    as Tornado does.

    Raises:
        TypeError: if ``value`` is not JSON-serialisable.
    """
    return json.dumps(value).replace("</", "<\\/")


def json_decode(value: str | bytes) -> Any:
    """Parse a JSON document (``str`` or UTF-8 ``bytes``).

    Raises:
        json.JSONDecodeError: (a :exc:`ValueError`) on malformed input.
    """
    return json.loads(value)


def url_escape(value: str | bytes, plus: bool = True) -> str:
    """Percent-encode ``value`` for use in a URL (RFC 3986 section 2.1).

    Args:
        value: text (encoded as UTF-8) or bytes.
        plus: if true (query-string style), spaces become ``+`` and ``/`` is
            escaped; if false (path style), spaces become ``%20`` and ``/`` is kept.
    """
    if plus:
        return urllib.parse.quote_plus(value)
    return urllib.parse.quote(value)


@overload
def url_unescape(value: str | bytes, encoding: None, plus: bool = True) -> bytes: ...
@overload
def url_unescape(value: str | bytes, encoding: str = "utf-8", plus: bool = True) -> str: ...
def url_unescape(
    value: str | bytes, encoding: str | None = "utf-8", plus: bool = True
) -> str | bytes:
    """Decode a percent-encoded URL component.

    Args:
        value: the encoded component.
        encoding: charset of the decoded text; ``None`` returns raw ``bytes``.
        plus: if true, ``+`` decodes to a space (query-string style).

    Returns:
        ``str`` (invalid sequences replaced) or ``bytes`` when ``encoding`` is ``None``.
    """
    text = value.decode("latin1") if isinstance(value, bytes) else value
    if plus:
        text = text.replace("+", " ")
    if encoding is None:
        return urllib.parse.unquote_to_bytes(text)
    return urllib.parse.unquote(text, encoding=encoding)


def parse_qs_bytes(
    qs: str | bytes, keep_blank_values: bool = False, strict_parsing: bool = False
) -> dict[str, list[bytes]]:
    """Parse a query string, keeping the values as raw bytes.

    Like :func:`urllib.parse.parse_qs`, but values are ``bytes`` so that the
    caller can pick the charset (Tornado's behaviour; names are decoded as latin-1).

    Args:
        qs: the query string (without ``?``).
        keep_blank_values: keep ``name=`` / ``name`` entries with empty values.
        strict_parsing: raise on malformed pairs instead of ignoring them.

    Returns:
        ``{name: [value, ...]}``.

    Raises:
        ValueError: on malformed input when ``strict_parsing`` is true.
    """
    text = qs.decode("latin1") if isinstance(qs, bytes) else qs
    parsed = urllib.parse.parse_qs(
        text, keep_blank_values, strict_parsing, encoding="latin1", errors="strict"
    )
    return {k: [v.encode("latin1") for v in vs] for k, vs in parsed.items()}
