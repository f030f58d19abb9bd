"""Ready-made handlers: ErrorHandler, RedirectHandler and FallbackHandler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from squall.httputil import HTTPServerRequest, qs_to_qsl, url_concat

from ._errors import HTTPError
from ._handler import RequestHandler


class ErrorHandler(RequestHandler):
    """Answer every request with a fixed error status (Tornado's ``web.ErrorHandler``).

    The application's default for unmatched paths (404). Route kwargs:
    ``{"status_code": int}``.
    """

    def initialize(self, status_code: int) -> None:
        """Remember the status to answer with.

        Args:
            status_code (int): the HTTP error status (4xx/5xx).
        """
        self._error_status = status_code
        self.set_status(status_code)

    def prepare(self) -> None:
        """Raise ``HTTPError(status_code)`` before any method runs.

        Raises:
            HTTPError: always, with the configured status.
        """
        raise HTTPError(self._error_status)

    def check_xsrf_cookie(self) -> None:
        """Never check XSRF: the request is answered with an error anyway."""


class RedirectHandler(RequestHandler):
    """Redirect every GET to a fixed URL (Tornado's ``web.RedirectHandler``).

    Route kwargs: ``{"url": str, "permanent": bool}``. ``url`` is a
    ``str.format`` template filled with the route's path groups (``{0}`` or
    ``{name}``); the request's query string is appended to it.
    """

    def initialize(self, url: str, permanent: bool = True) -> None:
        """Remember the target.

        Args:
            url (str): the target template.
            permanent (bool): 301 (True, the default) or 302.
        """
        self._url = url
        self._permanent = permanent

    def get(self, *args: Any, **kwargs: Any) -> None:
        """Redirect to the target with path groups substituted and the query kept."""
        to_url = self._url.format(*args, **kwargs)
        if self.request.query_arguments:
            to_url = url_concat(to_url, list(qs_to_qsl(self.request.query_arguments)))
        self.redirect(to_url, permanent=self._permanent)


class FallbackHandler(RequestHandler):
    """Hand the request to a plain request callable (Tornado's ``web.FallbackHandler``).

    Mounts something that answers an ``HTTPServerRequest`` by itself, typically a
    ``squall.wsgi.WSGIContainer``, inside an ``Application``::

        wsgi_app = WSGIContainer(flask_app, executor=ThreadPoolExecutor())
        Application([
            (r"/api/.*", ApiHandler),
            (r".*", FallbackHandler, {"fallback": wsgi_app}),
        ])

    The callable gets the request, body read and parsed, in ``prepare``; it then
    owns the response (it writes it through ``request.connection``), and this
    handler neither writes anything nor logs the request. As in Tornado, methods
    outside ``SUPPORTED_METHODS`` are answered 405 before the fallback is called.

    Route kwargs: ``{"fallback": Callable[[HTTPServerRequest], object]}``.
    """

    def initialize(self, fallback: Callable[[HTTPServerRequest], object]) -> None:
        """Remember the callable.

        Args:
            fallback (Callable[[HTTPServerRequest], object]): called with the request.
        """
        self.fallback = fallback

    def prepare(self) -> None:
        """Call the fallback with the request and mark this handler finished."""
        self.fallback(self.request)
        self._finished = True
        self.on_finish()
