"""The internal interface between ``HTTP1Connection`` and a byte-level request parser.

``HTTP1Connection`` never looks inside the parser: it talks to it only through
``RequestParserAPI`` below. The pure-Python ``RequestParser`` implements it today;
a C-accelerated parser (httptools/llhttp) can be added later as an optional extra
by implementing the same methods and passing ``tests/http1/test_http1_parser_conformance.py``
(which is parametrised over every implementation listed in ``PARSER_FACTORIES``).

The contract, for one connection (a parser instance is used for every request of
the connection, in order):

1. ``feed(data)`` appends received bytes; it never parses and never raises.
2. ``next_head()`` returns the next ``(RequestStartLine, HTTPHeaders)`` once a
   whole head is buffered, else ``None``. It enforces the head limits (414, 431)
   and the RFC 9112 framing rules (400, 505) by raising ``HTTPParseError``. After
   it returns a head, ``content_length`` is that request's body length (``None``
   for a chunked body) and ``heads`` has grown by one.
3. ``read_body(max_chunk)`` returns ``(data, done)`` until ``done`` is true; then
   ``next_head()`` may be called again. ``(b"", False)`` asks for more input.
4. After any ``HTTPParseError`` the parser is unusable (the connection closes).
5. ``take_buffered()`` hands back, and forgets, every received byte not yet
   consumed (used by ``HTTP1Connection.detach``).

Costs: every method must run in time linear in the bytes fed since the last call
(no rescanning from the start of a growing buffer: a peer sending one byte at a
time must not cost quadratic time), and memory bounded by the limits plus one read.
"""

from __future__ import annotations

from typing import Protocol

from squall.http1connection._params import (
    DEFAULT_MAX_FIELDS,
    DEFAULT_MAX_REQUEST_LINE,
    HTTP1ConnectionParameters,
)
from squall.httputil import HTTPHeaders, RequestStartLine


class RequestParserAPI(Protocol):
    """What ``HTTP1Connection`` needs from a request parser (see the module docstring)."""

    #: Body length of the current request in bytes (``None``: chunked).
    content_length: int | None

    def feed(self, data: bytes) -> None:
        """Append bytes received from the peer (any split)."""

    @property
    def buffered(self) -> int:
        """Number of received bytes not yet consumed."""

    @property
    def heads(self) -> int:
        """Number of request heads returned by ``next_head`` so far."""

    def next_head(self) -> tuple[RequestStartLine, HTTPHeaders] | None:
        """Return the next complete head, or ``None`` if more input is needed."""

    def read_body(self, max_chunk: int) -> tuple[bytes, bool]:
        """Return ``(body bytes, done)`` for the current request."""

    def take_buffered(self) -> bytes:
        """Return and forget the bytes received but not consumed."""


class ParserFactory(Protocol):
    """Builds a parser for one connection (the limits are in bytes).

    ``max_field_size`` bounds one field line (431 beyond it); ``None`` leaves
    field lines bounded only by ``max_header_size``.
    """

    def __call__(
        self,
        max_request_line: int,
        max_header_size: int,
        max_fields: int,
        max_field_size: int | None = None,
    ) -> RequestParserAPI:
        """Return a new parser with these limits."""


def _python_parser(
    max_request_line: int,
    max_header_size: int,
    max_fields: int,
    max_field_size: int | None = None,
) -> RequestParserAPI:
    from squall.http1connection._parser import RequestParser  # noqa: PLC0415 - no cycle

    return RequestParser(max_request_line, max_header_size, max_fields, max_field_size)


#: Every parser implementation available, by name; the conformance tests run each.
#: An accelerated parser registers itself here and becomes the default by setting
#: ``DEFAULT_PARSER`` to its name, when its optional dependency is installed.
PARSER_FACTORIES: dict[str, ParserFactory] = {"python": _python_parser}
DEFAULT_PARSER = "python"


def new_parser(params: HTTP1ConnectionParameters) -> RequestParserAPI:
    """Build a request parser with ``params``' limits, of the default implementation.

    The implementation is ``PARSER_FACTORIES[DEFAULT_PARSER]``, looked up at each
    call (so one registered later is used for new connections).

    Args:
        params: the connection's parameters (``max_header_size``, ``max_field_size``).

    Returns:
        A new parser for one connection.
    """
    return PARSER_FACTORIES[DEFAULT_PARSER](
        min(DEFAULT_MAX_REQUEST_LINE, params.max_header_size),
        params.max_header_size,
        DEFAULT_MAX_FIELDS,
        params.max_field_size,
    )
