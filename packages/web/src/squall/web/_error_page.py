"""The default HTML error page and header-value checks shared by the handler."""

from __future__ import annotations

import datetime
import html
import re
import traceback
from types import TracebackType

from squall.httputil import format_timestamp

# RFC 9110 section 5.5: field values must not hold CR, LF or NUL; Tornado also rejects
# every other C0 control character except horizontal tab.
_UNSAFE_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9110 section 5.1: a field name is a token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9112 section 4: reason-phrase = *( HTAB / SP / VCHAR / obs-text )
_UNSAFE_REASON = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def check_header_name(name: str) -> str:
    """Return ``name`` when it is an RFC 9110 token; raise ValueError otherwise."""
    if not isinstance(name, str) or _TOKEN.fullmatch(name) is None:
        raise ValueError(f"Invalid header name {name!r}")
    return name


def convert_header_value(value: str | bytes | int | datetime.datetime) -> str:
    """Convert a header value to ``str`` and reject response-splitting characters.

    ``bytes`` are decoded as Latin-1, ``int`` formatted in decimal and ``datetime``
    formatted as an HTTP-date (RFC 9110 section 5.6.7).

    Raises:
        TypeError: the value has another type.
        ValueError: the value holds CR, LF, NUL or another control character.
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        text = value.decode("latin-1")
    elif isinstance(value, bool):
        raise TypeError(f"Unsupported header value {value!r}")
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, datetime.datetime):
        text = format_timestamp(value)
    else:
        raise TypeError(f"Unsupported header value {value!r}")
    if _UNSAFE_VALUE.search(text):
        raise ValueError(f"Unsafe header value {text!r}")
    return text


def is_valid_reason(reason: str) -> bool:
    """True when ``reason`` can go on a status line (no CR, LF or other controls)."""
    return _UNSAFE_REASON.search(reason) is None


def render_error_page(status_code: int, reason: str) -> str:
    """The default HTML body of an error response.

    Args:
        status_code (int): the response status.
        reason (str): the reason phrase; HTML-escaped before use.

    Returns:
        str: a small HTML document naming the status.
    """
    title = f"{status_code}: {html.escape(reason, quote=True)}"
    return f"<html><head><title>{title}</title></head><body>{title}</body></html>"


def render_traceback(exc_info: ExcInfo) -> list[str]:
    """The plain-text traceback lines served when ``serve_traceback`` is on."""
    return traceback.format_exception(*exc_info)
