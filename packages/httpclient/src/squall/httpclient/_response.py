"""HTTPResponse: the result of a fetch."""

from __future__ import annotations

import io

from squall.httpclient._errors import HTTPClientError
from squall.httpclient._request import HTTPRequest
from squall.httputil import HTTPHeaders, responses


class HTTPResponse:
    """An HTTP response (Tornado's ``tornado.httpclient.HTTPResponse``).

    Args:
        request: the ``HTTPRequest`` (the original one, before redirects).
        code: the status code (``int``); 599 for a request that got no response.
        headers: the response ``HTTPHeaders`` (empty if ``None``).
        buffer: an ``io.BytesIO`` holding the body, or ``None``.
        effective_url: the URL after redirects (defaults to ``request.url``).
        error: an exception, or ``None``; if ``None`` and ``code`` is not 2xx an
            ``HTTPClientError`` is made.
        request_time: seconds (``float``) from the start of the request to the end.
        time_info: a ``dict`` of timing details, seconds (``float``). Tornado fills
            it with curl's timings plus ``queue`` (the wait for a ``max_clients``
            slot). ``SimpleAsyncHTTPClient`` fills what it measures: ``queue``, then
            from the start of the request ``redirect`` (the hops before the last:
            redirects and authentication challenges), ``connect`` (the last hop's
            connection ready, including proxy tunnel and TLS; about 0 for a pooled
            connection), ``starttransfer`` (its final response head received) and
            ``total`` (``request_time``); a request that failed has ``queue`` and
            ``total`` only (``queue`` only if it timed out in the queue). Empty
            when not given.
        reason: the reason phrase (defaults to the standard one for ``code``).
        start_time: wall-clock start of the request, seconds since the epoch.

    Attributes:
        request, code, reason, headers, buffer, effective_url, error,
        request_time, start_time, time_info: as above.
        body: the body as ``bytes`` (``b""`` without a buffer).
    """

    def __init__(  # noqa: PLR0917 - Tornado's positional signature
        self,
        request: HTTPRequest,
        code: int,
        headers: HTTPHeaders | None = None,
        buffer: io.BytesIO | None = None,
        effective_url: str | None = None,
        error: BaseException | None = None,
        request_time: float | None = None,
        time_info: dict[str, float] | None = None,
        reason: str | None = None,
        start_time: float | None = None,
    ) -> None:
        if hasattr(request, "request"):  # a _RequestProxy: keep the real request
            request = request.request
        self.request: HTTPRequest = request
        self.code = code
        self.reason = reason or responses.get(code, "Unknown")
        self.headers = headers if headers is not None else HTTPHeaders()
        self.buffer = buffer
        self._body: bytes | None = None
        self.effective_url = request.url if effective_url is None else effective_url
        self._error_is_response_code = False
        if error is None:
            if code < 200 or code >= 300:
                self._error_is_response_code = True
                self.error: BaseException | None = HTTPClientError(code, self.reason, self)
            else:
                self.error = None
        else:
            self.error = error
        self.start_time = start_time
        self.request_time = request_time
        self.time_info = time_info or {}

    @property
    def body(self) -> bytes:
        """The response body (``bytes``; ``b""`` if there is no buffer)."""
        if self.buffer is None:
            return b""
        if self._body is None:
            self._body = self.buffer.getvalue()
        return self._body

    def rethrow(self) -> None:
        """Raise ``self.error`` if the request failed (Tornado's ``rethrow``).

        Raises:
            HTTPClientError: or whatever exception ended the request.
        """
        if self.error:
            raise self.error

    def __repr__(self) -> str:
        args = ",".join(f"{k}={v!r}" for k, v in sorted(self.__dict__.items()) if k[0] != "_")
        return f"{type(self).__name__}({args})"
