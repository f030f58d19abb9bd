"""Request and response start lines (RFC 9112 §3 and §4)."""

from __future__ import annotations

from typing import NamedTuple

from squall.httputil._abnf import http1_request_line_re, status_line_re
from squall.httputil._errors import HTTPInputError


class RequestStartLine(NamedTuple):
    """The parsed request-line of an HTTP request (RFC 9112 §3).

    Attributes:
        method: the request method, e.g. ``"GET"`` (case-sensitive token).
        path: the request-target exactly as sent (usually ``/path?query``).
        version: ``"HTTP/1.0"`` or ``"HTTP/1.1"``.
    """

    method: str
    path: str
    version: str


class ResponseStartLine(NamedTuple):
    """The parsed status-line of an HTTP response (RFC 9112 §4).

    Attributes:
        version: e.g. ``"HTTP/1.1"``.
        code: the three-digit status code (``int``).
        reason: the reason phrase (may be empty).
    """

    version: str
    code: int
    reason: str


def parse_request_start_line(line: str) -> RequestStartLine:
    """Parse ``"METHOD target HTTP/1.x"`` into a :class:`RequestStartLine`.

    Follows Tornado's ``parse_request_start_line`` and RFC 9112 §3: exactly one
    space between the three parts, a token method, a target of visible ASCII
    characters and an ``HTTP/1.<digit>`` version.

    Args:
        line: the request line without its CRLF.

    Returns:
        ``RequestStartLine(method, path, version)``.

    Raises:
        HTTPInputError: if the line does not match the grammar.
    """
    match = http1_request_line_re.fullmatch(line)
    if match is None:
        raise HTTPInputError(f"malformed HTTP request line {line[:100]!r}")
    method, path, version = match.groups()
    return RequestStartLine(method, path, version)


def parse_response_start_line(line: str) -> ResponseStartLine:
    """Parse ``"HTTP/1.x NNN Reason"`` into a :class:`ResponseStartLine`.

    Follows Tornado's ``parse_response_start_line`` and RFC 9112 §4; the space
    before an empty reason phrase may be missing.

    Args:
        line: the status line without its CRLF.

    Returns:
        ``ResponseStartLine(version, code, reason)``.

    Raises:
        HTTPInputError: if the line does not match the grammar.
    """
    match = status_line_re.fullmatch(line)
    if match is None:
        raise HTTPInputError(f"error parsing response start line {line[:100]!r}")
    version, code, reason = match.groups()
    return ResponseStartLine(version, int(code), reason or "")
