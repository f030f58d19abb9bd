"""The non-blocking HTTP client interface (Tornado's ``tornado.httpclient``).

``AsyncHTTPClient().fetch(url_or_request)`` resolves to an :class:`HTTPResponse`;
:class:`HTTPRequest` carries every per-request option; :class:`HTTPClient` is the
blocking wrapper for scripts. The default implementation is
``squall.simple_httpclient.SimpleAsyncHTTPClient``. ``python -m squall.httpclient
URL`` prints a URL's body (``--print_headers`` for the headers).
"""

from squall.httpclient._client import AsyncHTTPClient, HTTPClient
from squall.httpclient._errors import (
    HTTPClientError,
    HTTPError,
    HTTPStreamClosedError,
    HTTPTimeoutError,
)
from squall.httpclient._main import main
from squall.httpclient._request import HTTPRequest
from squall.httpclient._response import HTTPResponse

__all__ = [
    "AsyncHTTPClient",
    "HTTPClient",
    "HTTPClientError",
    "HTTPError",
    "HTTPRequest",
    "HTTPResponse",
    "HTTPStreamClosedError",
    "HTTPTimeoutError",
    "main",
]
