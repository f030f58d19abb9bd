"""The PEP 3333 ``start_response`` and ``write`` callables and the state they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import TracebackType
from typing import Any

from squall.httputil import responses

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

# PEP 3333 "The start_response() Callable": status is "999 Message here".
_STATUS_RE = re.compile(r"([1-9][0-9]{2}) ([^\r\n\x00]*)")

# RFC 9110 §7.6.1 / RFC 9112: hop-by-hop fields belong to the server, and PEP 3333
# ("Other HTTP Features") forbids applications from sending them.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)


class WSGIResponse:
    """What the application told ``start_response`` and passed to ``write``.

    ``start_response`` and ``write`` run on the application's thread (the executor);
    the container reads this state on the event loop, only between two calls into
    the application, so no lock is needed.
    """

    def __init__(self) -> None:
        self.code: int | None = None
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.pending: list[bytes] = []
        self.headers_sent = False

    def start_response(
        self,
        status: str,
        response_headers: list[tuple[str, str]],
        exc_info: _ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        """PEP 3333's ``start_response``: record the status and headers.

        Raises:
            AssertionError: a second call without ``exc_info`` (PEP 3333 calls it a
                fatal error).
            BaseException: ``exc_info``'s exception, re-raised when the headers were
                already sent.
            ValueError: a malformed status line, or a hop-by-hop header.
            TypeError: a header is not a pair of ``str``.
        """
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # PEP 3333: avoid a reference cycle via the traceback
        elif self.code is not None:
            raise AssertionError("start_response called a second time without exc_info")
        if not isinstance(status, str):
            raise TypeError(f"status must be a str, not {type(status).__name__}")
        found = _STATUS_RE.fullmatch(status)
        if found is None:
            raise ValueError(f"malformed WSGI status {status!r}")
        headers = []
        for pair in response_headers:
            if not (
                isinstance(pair, tuple)
                and len(pair) == 2
                and isinstance(pair[0], str)
                and isinstance(pair[1], str)
            ):
                raise TypeError(f"WSGI response headers must be (str, str) tuples, got {pair!r}")
            if pair[0].lower() in _HOP_BY_HOP:
                raise ValueError(f"hop-by-hop header {pair[0]!r} in a WSGI response")
            headers.append(pair)
        self.code = int(found.group(1))
        self.reason = found.group(2) or responses.get(self.code, "Unknown")
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        """PEP 3333's legacy ``write``: buffer ``data``; it is sent before the iterable's output.

        Raises:
            TypeError: ``data`` is not ``bytes``.
            AssertionError: called before ``start_response``.
        """
        if not isinstance(data, bytes):
            raise TypeError(f"WSGI write() takes bytes, not {type(data).__name__}")
        if self.code is None:
            raise AssertionError("write() called before start_response()")
        self.pending.append(data)

    def take_pending(self, extra: Any = b"") -> bytes:
        """Everything ``write`` buffered, followed by ``extra``; empties the buffer.

        Raises:
            TypeError: ``extra`` (a chunk from the application's iterable) is not bytes.
        """
        if not isinstance(extra, bytes):
            raise TypeError(f"WSGI iterables must yield bytes, not {type(extra).__name__}")
        if not self.pending:
            return extra
        self.pending.append(extra)
        data = b"".join(self.pending)
        self.pending = []
        return data
