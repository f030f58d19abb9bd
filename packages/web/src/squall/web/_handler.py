"""RequestHandler: the base class of every HTTP request handler."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from squall.concurrent import Future, future_set_result_unless_cancelled
from squall.escape import json_encode
from squall.httputil import (
    HTTPHeaders,
    HTTPServerRequest,
    ResponseStartLine,
    format_timestamp,
    responses,
)
from squall.iostream import StreamClosedError
from squall.log import app_log, gen_log
from squall.util import ObjectDict

from ._error_page import (
    ExcInfo,
    check_header_name,
    convert_header_value,
    is_valid_reason,
    render_error_page,
    render_traceback,
)
from ._errors import Finish, HTTPError
from ._etag import ETagMixin
from ._handler_input import RequestInputMixin
from ._transforms import OutputTransform
from ._version import version

if TYPE_CHECKING:
    from ._application import Application

# Representation metadata that must not describe an absent body (RFC 9110 section 8).
_REPRESENTATION_HEADERS = ("Content-Encoding", "Content-Language", "Content-Type")


def _resolved_future() -> Future[None]:
    future: Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class RequestHandler(RequestInputMixin, ETagMixin):
    """Base class for HTTP request handlers (Tornado's ``web.RequestHandler``).

    Subclasses implement ``get``/``head``/``post``/``put``/``delete``/``patch``/``options``
    (plain or ``async def``) taking the route's captured groups; the inherited defaults
    answer 405. A handler lives for one request: ``initialize(**route_kwargs)``, then
    ``prepare()`` (may be async), then the method, then ``finish()`` (automatic unless
    the handler already finished), then ``on_finish()``.

    Args:
        application (Application): the application dispatching the request.
        request (HTTPServerRequest): the request (body already read unless the class
            uses ``stream_request_body``).
        **kwargs (Any): the route's kwargs, passed to ``initialize``.

    Attributes:
        application (Application): the owning application.
        request (HTTPServerRequest): the request being served.
        path_args (list[str]): decoded positional path groups.
        path_kwargs (dict[str, str]): decoded named path groups.
        ui (ObjectDict): UI helpers (minimal; templates come later).
    """

    SUPPORTED_METHODS: ClassVar[tuple[str, ...]] = (
        "GET",
        "HEAD",
        "POST",
        "DELETE",
        "PATCH",
        "PUT",
        "OPTIONS",
    )
    """HTTP methods this handler class accepts; others answer 405."""

    _stream_request_body: ClassVar[bool] = False

    def __init__(
        self, application: Application, request: HTTPServerRequest, **kwargs: Any
    ) -> None:
        super().__init__()
        self.application = application
        self.request = request
        self.path_args: list[Any] = []
        self.path_kwargs: dict[str, Any] = {}
        self.ui = ObjectDict()
        self._headers_written = False
        self._finished = False
        self._auto_finish = True
        self._prepared_future: Future[None] | None = None
        self._transforms: list[OutputTransform] = []
        self._headers = HTTPHeaders()
        self._write_buffer: list[bytes] = []
        self._status_code = 200
        self._reason = responses[200]
        self.clear()
        if request.connection is not None:
            request.connection.set_close_callback(self.on_connection_close)
        self.initialize(**kwargs)

    # -- lifecycle hooks ----------------------------------------------------------------

    def _initialize(self) -> None:
        """Hook: receives the route's kwargs (the third item of a handler tuple).

        Subclasses define ``initialize`` with whatever keyword parameters their
        routes pass; the default takes none.
        """

    initialize: Callable[..., None] = _initialize

    def prepare(self) -> Awaitable[None] | None:
        """Hook run before the HTTP method; may be ``async``; may ``finish()`` early.

        Returns:
            Awaitable[None] | None: awaited when not None.
        """
        return None

    def on_finish(self) -> None:
        """Hook run after the response has been sent (for logging, cleanup)."""

    def on_connection_close(self) -> None:
        """Hook run when the client closes the connection before the response is done.

        For ``stream_request_body`` handlers this also fails a pending body read with
        ``StreamClosedError``. Override (calling super) to stop long-polling work.
        """
        if self._stream_request_body:
            body_future: Future[None] | None = getattr(self.request, "_body_future", None)
            if body_future is not None and not body_future.done():
                body_future.set_exception(StreamClosedError())
                body_future.exception()

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Receive a body chunk; only for ``stream_request_body`` handlers.

        Args:
            chunk (bytes): the next piece of the request body.

        Returns:
            Awaitable[None] | None: awaited (flow control) when not None.

        Raises:
            NotImplementedError: by default.
        """
        raise NotImplementedError()

    def _unimplemented_method(self, *args: Any, **kwargs: Any) -> Any:
        """Serve one HTTP method; override in subclasses (may be ``async def``).

        The inherited default answers 405 Method Not Allowed (RFC 9110 section 15.5.6).

        Args:
            *args (str): the route's positional path groups, decoded.
            **kwargs (str): the route's named path groups, decoded.

        Raises:
            HTTPError: 405, unless overridden.
        """
        raise HTTPError(405)

    get: Any = _unimplemented_method
    head: Any = _unimplemented_method
    post: Any = _unimplemented_method
    delete: Any = _unimplemented_method
    patch: Any = _unimplemented_method
    put: Any = _unimplemented_method
    options: Any = _unimplemented_method

    # -- settings and helpers -----------------------------------------------------------

    @property
    def settings(self) -> dict[str, Any]:
        """The application's settings (``self.application.settings``)."""
        return self.application.settings

    def require_setting(self, name: str, feature: str = "this feature") -> None:
        """Raise when an application setting needed by a feature is missing.

        Args:
            name (str): the setting name.
            feature (str): a description for the error message.

        Raises:
            Exception: the setting is absent or empty.
        """
        if not self.application.settings.get(name):
            raise Exception(
                f"You must define the '{name}' setting in your application to use {feature}"
            )

    def reverse_url(self, name: str, *args: Any) -> str:
        """``Application.reverse_url`` for convenience.

        Args:
            name (str): the route name.
            *args (Any): values for the route's groups.

        Returns:
            str: the path.

        Raises:
            KeyError: no route has that name.
        """
        return self.application.reverse_url(name, *args)

    def render(self, template_name: str, **kwargs: Any) -> Future[None]:
        """Render a template and finish (not available yet).

        Raises:
            NotImplementedError: always; templates come with ``squall.template``.
        """
        raise NotImplementedError("squall.template is not available yet; templates come later")

    def render_string(self, template_name: str, **kwargs: Any) -> bytes:
        """Render a template to bytes (not available yet).

        Raises:
            NotImplementedError: always; templates come with ``squall.template``.
        """
        raise NotImplementedError("squall.template is not available yet; templates come later")

    # -- status and headers -------------------------------------------------------------

    def clear(self) -> None:
        """Reset headers, status and buffered body to the defaults.

        The defaults are ``Server: SquallServer/<version>``, ``Content-Type: text/html;
        charset=UTF-8`` and ``Date`` (RFC 9110 section 6.6.1), then whatever
        ``set_default_headers`` adds; status 200.
        """
        self._headers = HTTPHeaders()
        self._headers["Server"] = f"SquallServer/{version}"
        self._headers["Content-Type"] = "text/html; charset=UTF-8"
        self._headers["Date"] = format_timestamp(time.time())
        self.set_default_headers()
        self._write_buffer = []
        self._status_code = 200
        self._reason = responses[200]

    def set_default_headers(self) -> None:
        """Hook: set headers every response of this handler starts with (also errors)."""

    def set_status(self, status_code: int, reason: str | None = None) -> None:
        """Set the response status.

        Args:
            status_code (int): the HTTP status code (RFC 9110 section 15).
            reason (str | None): the reason phrase; defaults to the standard phrase or
                ``"Unknown"`` for unregistered codes.

        Raises:
            ValueError: ``reason`` holds CR, LF or another control character, or the
                code is outside 100-999.
        """
        if not 100 <= status_code <= 999:
            raise ValueError(f"Invalid HTTP status code {status_code!r}")
        if reason is not None and not is_valid_reason(reason):
            raise ValueError(f"Invalid HTTP reason phrase {reason!r}")
        self._status_code = status_code
        self._reason = reason if reason is not None else responses.get(status_code, "Unknown")

    def get_status(self) -> int:
        """The response status code set so far.

        Returns:
            int: the status code.
        """
        return self._status_code

    def set_header(self, name: str, value: str | bytes | int | datetime.datetime) -> None:
        """Set a response header, replacing any earlier values.

        Args:
            name (str): the header name (an RFC 9110 token).
            value (str | bytes | int | datetime.datetime): the value; ``datetime`` is
                formatted as an HTTP-date.

        Raises:
            ValueError: the name is not a token or the value holds CR/LF/NUL/controls.
            TypeError: the value has an unsupported type.
        """
        self._headers[check_header_name(name)] = convert_header_value(value)

    def add_header(self, name: str, value: str | bytes | int | datetime.datetime) -> None:
        """Add a response header value, keeping earlier ones (e.g. ``Set-Cookie``).

        Args:
            name (str): the header name.
            value (str | bytes | int | datetime.datetime): the value.

        Raises:
            ValueError: the name is not a token or the value holds CR/LF/NUL/controls.
            TypeError: the value has an unsupported type.
        """
        self._headers.add(check_header_name(name), convert_header_value(value))

    def clear_header(self, name: str) -> None:
        """Remove a response header (including defaults such as ``Server``).

        Args:
            name (str): the header name (case-insensitive).
        """
        if name in self._headers:
            del self._headers[name]

    # -- body output --------------------------------------------------------------------

    def write(self, chunk: str | bytes | dict[str, Any]) -> None:
        """Buffer output; ``flush`` or ``finish`` sends it.

        A ``dict`` is sent as JSON and sets ``Content-Type: application/json;
        charset=UTF-8``; ``str`` is encoded as UTF-8.

        Args:
            chunk (str | bytes | dict[str, Any]): the output.

        Raises:
            RuntimeError: after ``finish()``.
            TypeError: any other type; lists are refused on purpose (top-level JSON
                arrays enabled cross-site data theft in old browsers).
        """
        if self._finished:
            raise RuntimeError("Cannot write() after finish()")
        received: object = chunk
        if not isinstance(received, bytes | str | dict):
            message = "write() only accepts bytes, unicode, and dict objects"
            if isinstance(received, list):
                message += ". Lists not accepted for security reasons; wrap the list in a dict"
            raise TypeError(message)
        if isinstance(chunk, dict):
            chunk = json_encode(chunk)
            self.set_header("Content-Type", "application/json; charset=UTF-8")
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        self._write_buffer.append(data)

    def flush(self, include_footers: bool = False) -> Future[None]:
        """Send the buffered output (and the headers the first time).

        Args:
            include_footers (bool): True for the last flush (lets transforms finish).

        Returns:
            Future[None]: resolves when the data has been handed to the kernel.
        """
        connection = self.request.connection
        assert connection is not None, "request has no connection"
        chunk = b"".join(self._write_buffer)
        self._write_buffer = []
        if not self._headers_written:
            self._headers_written = True
            status, headers = self._status_code, self._headers
            for transform in self._transforms:
                status, headers, chunk = transform.transform_first_chunk(
                    status, headers, chunk, include_footers
                )
            if self.request.method == "HEAD":
                chunk = b""
            for jar in getattr(self, "_new_cookies", []):
                for morsel in jar.values():
                    headers.add("Set-Cookie", morsel.OutputString(None))
            start_line = ResponseStartLine("", self._status_code, self._reason)
            return connection.write_headers(start_line, headers, chunk)
        for transform in self._transforms:
            chunk = transform.transform_chunk(chunk, include_footers)
        if self.request.method != "HEAD":
            return connection.write(chunk)
        return _resolved_future()

    def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> Future[None]:
        """End the response: send headers (with ``Content-Length``) and the body.

        A 200 answer to GET/HEAD gets an ``Etag`` (see ``compute_etag``) and becomes a
        bodiless 304 when it matches ``If-None-Match`` (RFC 9110 section 13.1.2).

        Args:
            chunk (str | bytes | dict[str, Any] | None): a last piece of output.

        Returns:
            Future[None]: resolves when the response has been handed to the kernel.

        Raises:
            RuntimeError: ``finish()`` was already called.
            ValueError: a body was written for a 1xx/204/304 status.
        """
        if self._finished:
            raise RuntimeError("finish() called twice")
        if chunk is not None:
            self.write(chunk)
        if not self._headers_written:
            if (
                self._status_code == 200
                and self.request.method in ("GET", "HEAD")
                and "Etag" not in self._headers
            ):
                self.set_etag_header()
                if self.check_etag_header():
                    self._write_buffer = []
                    self.set_status(304)
            if self._status_code in (204, 304) or 100 <= self._status_code < 200:
                if any(self._write_buffer):
                    raise ValueError(f"Cannot send body with {self._status_code}")
                self._write_buffer = []
                for name in _REPRESENTATION_HEADERS:
                    self.clear_header(name)
            elif "Content-Length" not in self._headers:
                length = sum(len(part) for part in self._write_buffer)
                self.set_header("Content-Length", length)
        connection = self.request.connection
        assert connection is not None, "request has no connection"
        connection.set_close_callback(None)
        future = self.flush(include_footers=True)
        connection.finish()
        self._log()
        self._finished = True
        self.on_finish()
        self._break_cycles()
        return future

    def _break_cycles(self) -> None:
        self.ui = ObjectDict()

    def redirect(self, url: str, permanent: bool = False, status: int | None = None) -> None:
        """Redirect the client to another URL and finish.

        Args:
            url (str): the target (absolute or relative), sent as ``Location``.
            permanent (bool): 301 instead of 302 (when ``status`` is not given).
            status (int | None): an explicit 3xx status.

        Raises:
            RuntimeError: headers were already sent.
            ValueError: ``status`` is not 3xx, or ``url`` holds CR/LF/controls.
        """
        if self._headers_written:
            raise RuntimeError("Cannot redirect after headers have been written")
        if status is None:
            status = 301 if permanent else 302
        elif not 300 <= status <= 399:
            raise ValueError(f"redirect status must be 3xx, got {status}")
        self.set_header("Location", url)
        self.set_status(status)
        self.finish()

    # -- errors -------------------------------------------------------------------------

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        """Send an error response rendered by ``write_error``.

        Headers and output set so far are discarded (``clear()``). When headers were
        already flushed, the response is just finished.

        Args:
            status_code (int): the HTTP status.
            **kwargs (Any): passed to ``write_error``; ``exc_info`` (a
                ``sys.exc_info()`` triple) when caused by an exception, ``reason``
                for a custom reason phrase.
        """
        if self._headers_written:
            gen_log.error("Cannot send error response after headers written")
            if not self._finished:
                try:
                    self.finish()
                except Exception:
                    gen_log.error("Failed to flush partial response", exc_info=True)
            return
        self.clear()
        reason: str | None = kwargs.get("reason")
        if "exc_info" in kwargs:
            exception = kwargs["exc_info"][1]
            if isinstance(exception, HTTPError) and exception.reason:
                reason = exception.reason
        if reason is not None and not is_valid_reason(reason):
            reason = None
        try:
            self.set_status(status_code, reason=reason)
        except ValueError:
            self.set_status(500)
        try:
            self.write_error(self._status_code, **kwargs)
        except Exception:
            app_log.error("Uncaught exception in write_error", exc_info=True)
        if not self._finished:
            self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render the error page; override for custom pages.

        The default is a small HTML page naming the status; with the
        ``serve_traceback`` setting (on in ``debug``) and ``exc_info`` it is the
        plain-text traceback instead.

        Args:
            status_code (int): the response status.
            **kwargs (Any): ``exc_info`` when an exception caused the error.
        """
        exc_info: ExcInfo | None = kwargs.get("exc_info")
        if self.settings.get("serve_traceback") and exc_info is not None:
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            for line in render_traceback(exc_info):
                self.write(line)
            self.finish()
        else:
            self.finish(render_error_page(status_code, self._reason))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: Any,
    ) -> None:
        """Log an exception raised by the handler.

        ``HTTPError`` is logged at WARNING on ``squall.general`` only when it has a
        ``log_message``; anything else at ERROR with its traceback on
        ``squall.application``.

        Args:
            typ (type[BaseException] | None): the exception type.
            value (BaseException | None): the exception.
            tb (Any): the traceback.
        """
        if isinstance(value, HTTPError):
            if value.log_message:
                fmt = "%d %s: " + value.log_message
                gen_log.warning(fmt, value.status_code, self._request_summary(), *value.args)
        else:
            app_log.error(
                "Uncaught exception %s\n%r",
                self._request_summary(),
                self.request,
                exc_info=(typ, value, tb),  # type: ignore[arg-type]
            )

    def _handle_request_exception(self, exc: BaseException) -> None:
        if isinstance(exc, Finish):
            if not self._finished:
                self.finish(*exc.args)
            return
        try:
            self.log_exception(type(exc), exc, exc.__traceback__)
        except Exception:
            app_log.error("Error in exception logger", exc_info=True)
        if self._finished:
            return
        exc_info = (type(exc), exc, exc.__traceback__)
        if isinstance(exc, HTTPError):
            self.send_error(exc.status_code, exc_info=exc_info)
        else:
            self.send_error(500, exc_info=exc_info)

    # -- execution ----------------------------------------------------------------------

    async def _execute(
        self, transforms: list[OutputTransform], *args: bytes | None, **kwargs: bytes | None
    ) -> None:
        """Run prepare and the HTTP method, turning exceptions into error responses."""
        self._transforms = transforms
        try:
            method_name = self.request.method or ""
            if method_name not in self.SUPPORTED_METHODS:
                raise HTTPError(405)
            self.path_args = [None if a is None else self.decode_argument(a) for a in args]
            self.path_kwargs = {
                k: None if v is None else self.decode_argument(v, name=k)
                for k, v in kwargs.items()
            }
            result = self.prepare()
            if result is not None:
                await result
            if self._prepared_future is not None:
                future_set_result_unless_cancelled(self._prepared_future, None)
            if self._finished:
                return
            if self._stream_request_body:
                try:
                    await self.request._body_future
                except StreamClosedError:
                    return
            method = getattr(self, method_name.lower())
            result = method(*self.path_args, **self.path_kwargs)
            if result is not None:
                await result
            if self._auto_finish and not self._finished:
                self.finish()
        except Exception as exc:
            try:
                self._handle_request_exception(exc)
            except Exception:
                app_log.error("Exception in exception handler", exc_info=True)
        finally:
            if self._prepared_future is not None and not self._prepared_future.done():
                self._prepared_future.set_result(None)

    def _request_summary(self) -> str:
        return f"{self.request.method} {self.request.uri} ({self.request.remote_ip})"

    def _log(self) -> None:
        self.application.log_request(self)
