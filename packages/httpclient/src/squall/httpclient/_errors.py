"""The exceptions of the HTTP client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from squall.httputil import responses

if TYPE_CHECKING:
    from squall.httpclient._response import HTTPResponse


class HTTPClientError(Exception):
    """An unsuccessful HTTP request (Tornado's ``tornado.httpclient.HTTPClientError``).

    Raised by ``AsyncHTTPClient.fetch`` for a response whose code is not 2xx (with
    ``raise_error=True``), and, with code 599, for requests that got no response at
    all (timeouts, closed connections, malformed responses).

    Args:
        code: the HTTP status code (``int``), or 599 for a failure without response.
        message: a short description; defaults to the standard reason phrase.
        response: the ``HTTPResponse``, when there is one.

    Attributes:
        code: the status code.
        message: the description.
        response: the ``HTTPResponse`` or ``None``.
    """

    def __init__(
        self, code: int, message: str | None = None, response: HTTPResponse | None = None
    ) -> None:
        self.code = code
        self.message = message or responses.get(code, "Unknown")
        self.response = response
        super().__init__(code, message, response)

    def __str__(self) -> str:
        return f"HTTP {self.code}: {self.message}"

    # self.response refers back to self (response.error): the default repr would
    # recurse, so repr is the short form (as in Tornado).
    __repr__ = __str__


#: Alias of :class:`HTTPClientError` (Tornado's name before 5.1, still exported).
HTTPError = HTTPClientError


class HTTPTimeoutError(HTTPClientError):
    """The request timed out: while queued, connecting, or waiting for the response.

    Tornado's ``HTTPTimeoutError`` (5.1+): an ``HTTPClientError`` with code 599.

    Args:
        message: which phase timed out, e.g. ``"Timeout while connecting"``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(599, message=message)

    def __str__(self) -> str:
        return self.message or "Timeout"


class HTTPStreamClosedError(HTTPClientError):
    """The connection closed before the response was complete.

    Tornado's ``HTTPStreamClosedError`` (5.1+): an ``HTTPClientError`` with code 599.

    Args:
        message: details, e.g. ``"Stream closed"``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(599, message=message)

    def __str__(self) -> str:
        return self.message or "Stream closed"
