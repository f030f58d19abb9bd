"""Application: the routing table and settings of a web app, and its request delegates."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Sequence
from typing import Any

from squall.concurrent import Future, future_set_result_unless_cancelled
from squall.httpserver import HTTPServer
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)
from squall.log import access_log

from ._builtin import ErrorHandler
from ._handler import RequestHandler
from ._transforms import GZipContentEncoding, OutputTransform
from ._urlspec import URLSpec

HandlerSpec = (
    URLSpec
    | tuple[str | re.Pattern[str], Any]
    | tuple[str | re.Pattern[str], Any, dict[str, Any]]
    | tuple[str | re.Pattern[str], Any, dict[str, Any], str]
)
"""One routing table entry: a ``URLSpec`` or a ``(pattern, handler[, kwargs[, name]])`` tuple."""

# Tasks running handlers; kept referenced so the event loop cannot drop them.
_RUNNING: set[asyncio.Task[None]] = set()


def _to_urlspec(spec: Any) -> URLSpec:
    if isinstance(spec, URLSpec):
        return spec
    if isinstance(spec, tuple | list) and 2 <= len(spec) <= 4:
        return URLSpec(*spec)
    raise TypeError(f"Invalid handler specification {spec!r}")


class Application(HTTPServerConnectionDelegate):
    """A collection of request handlers making a web application (Tornado's ``web.Application``).

    Routes are tried in order; the first whose regex matches the whole request path
    wins. Unmatched paths get ``default_handler_class`` (with ``default_handler_args``)
    or a 404 ``ErrorHandler``.

    Settings used here: ``debug`` (turns on ``serve_traceback``; also sets
    ``autoreload``, ``compiled_template_cache=False`` and ``static_hash_cache=False``
    for compatibility, though autoreload is not started yet), ``serve_traceback``,
    ``default_handler_class``, ``default_handler_args``, ``compress_response`` (gzip
    output, also spelled ``gzip``) and ``log_function`` (replaces ``log_request``).

    Args:
        handlers (Sequence[HandlerSpec] | None): the routing table: ``URLSpec`` objects
            or ``(pattern, handler)``, ``(pattern, handler, kwargs)`` or
            ``(pattern, handler, kwargs, name)`` tuples.
        default_host (str | None): the host whose ``add_handlers`` routes also serve
            requests for other hosts (when no ``X-Real-Ip`` header is present).
        transforms (list[type[OutputTransform]] | None): output transform classes;
            by default gzip when ``compress_response`` is set.
        **settings (Any): application settings, available as ``self.settings``.

    Attributes:
        settings (dict[str, Any]): the settings.
        transforms (list[type[OutputTransform]]): transform classes applied per request.
        named_handlers (dict[str, URLSpec]): routes by name.
        default_host (str | None): see above.
    """

    def __init__(
        self,
        handlers: Sequence[HandlerSpec] | None = None,
        default_host: str | None = None,
        transforms: list[type[OutputTransform]] | None = None,
        **settings: Any,
    ) -> None:
        if transforms is None:
            self.transforms: list[type[OutputTransform]] = []
            if settings.get("compress_response") or settings.get("gzip"):
                self.transforms.append(GZipContentEncoding)
        else:
            self.transforms = list(transforms)
        self.default_host = default_host
        self.settings: dict[str, Any] = settings
        self.ui_modules: dict[str, Any] = {}
        self.ui_methods: dict[str, Any] = {}
        self.named_handlers: dict[str, URLSpec] = {}
        if self.settings.get("debug"):
            self.settings.setdefault("autoreload", True)
            self.settings.setdefault("compiled_template_cache", False)
            self.settings.setdefault("static_hash_cache", False)
            self.settings.setdefault("serve_traceback", True)
        self._wildcard: list[URLSpec] = []
        self._host_rules: list[tuple[re.Pattern[str], list[URLSpec]]] = []
        for spec in handlers or ():
            self._wildcard.append(self._register(spec))

    def _register(self, spec: Any) -> URLSpec:
        urlspec = _to_urlspec(spec)
        if not (
            isinstance(urlspec.handler_class, type)
            and issubclass(urlspec.handler_class, RequestHandler)
        ):
            raise TypeError(f"{urlspec.handler_class!r} is not a RequestHandler subclass")
        if urlspec.name:
            if urlspec.name in self.named_handlers:
                raise ValueError(f"Multiple handlers named {urlspec.name}")
            self.named_handlers[urlspec.name] = urlspec
        return urlspec

    def add_handlers(self, host_pattern: str, host_handlers: Sequence[HandlerSpec]) -> None:
        """Add routes served only for requests whose host matches ``host_pattern``.

        Host-specific routes are tried before the routes given to the constructor, in
        the order they were added.

        Args:
            host_pattern (str): a regex matched against ``request.host_name`` (``$`` is
                appended when missing).
            host_handlers (Sequence[HandlerSpec]): routes as for the constructor.

        Raises:
            TypeError: a route is malformed or its handler is not a RequestHandler.
            ValueError: a route name is already used.
        """
        if not host_pattern.endswith("$"):
            host_pattern += "$"
        specs = [self._register(spec) for spec in host_handlers]
        self._host_rules.append((re.compile(host_pattern), specs))

    def reverse_url(self, name: str, *args: Any) -> str:
        """The path of a named route with its groups filled in.

        Args:
            name (str): the route name (fourth tuple item or ``URLSpec.name``).
            *args (Any): values for the route's groups, percent-encoded.

        Returns:
            str: the path, e.g. ``/user/42``.

        Raises:
            KeyError: no route has that name.
            ValueError: the route cannot be reversed with these arguments.
        """
        if name in self.named_handlers:
            return self.named_handlers[name].reverse(*args)
        raise KeyError(f"{name} not found in named urls")

    def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> _HandlerDelegate:
        """Pick the route for a request.

        Args:
            request (HTTPServerRequest): the request (its ``path`` and ``host_name``).
            **kwargs (Any): unused; kept for Tornado's router interface.

        Returns:
            _HandlerDelegate: the message delegate that will run the handler.
        """
        path = request.path or "/"
        host = request.host_name or ""
        for host_regex, specs in self._host_rules:
            if host_regex.match(host):
                found = self._match(request, path, specs)
                if found is not None:
                    return found
        found = self._match(request, path, self._wildcard)
        if found is not None:
            return found
        if self.default_host is not None and "X-Real-Ip" not in request.headers:
            for host_regex, specs in self._host_rules:
                if host_regex.match(self.default_host):
                    found = self._match(request, path, specs)
                    if found is not None:
                        return found
        default_class = self.settings.get("default_handler_class")
        if default_class is not None:
            return self.get_handler_delegate(
                request, default_class, self.settings.get("default_handler_args", {})
            )
        return self.get_handler_delegate(request, ErrorHandler, {"status_code": 404})

    def _match(
        self, request: HTTPServerRequest, path: str, specs: list[URLSpec]
    ) -> _HandlerDelegate | None:
        for spec in specs:
            matched = spec.match(path)
            if matched is not None:
                args, kwargs = matched
                return self.get_handler_delegate(
                    request, spec.handler_class, spec.kwargs, args, kwargs
                )
        return None

    def get_handler_delegate(
        self,
        request: HTTPServerRequest,
        target_class: type[RequestHandler],
        target_kwargs: dict[str, Any] | None = None,
        path_args: list[bytes | None] | None = None,
        path_kwargs: dict[str, bytes | None] | None = None,
    ) -> _HandlerDelegate:
        """Build the message delegate that runs ``target_class`` for ``request``.

        Args:
            request (HTTPServerRequest): the request.
            target_class (type[RequestHandler]): the handler class.
            target_kwargs (dict[str, Any] | None): ``initialize`` arguments.
            path_args (list[bytes | None] | None): positional path groups (raw bytes).
            path_kwargs (dict[str, bytes | None] | None): named path groups (raw bytes).

        Returns:
            _HandlerDelegate: the delegate.
        """
        return _HandlerDelegate(self, request, target_class, target_kwargs, path_args, path_kwargs)

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Called by ``HTTPServer`` for each request on a connection.

        Args:
            server_conn (object): the server-side connection (opaque).
            request_conn (HTTPConnection): the connection the response is written to.

        Returns:
            HTTPMessageDelegate: a delegate that routes once the headers arrive.
        """
        return _RoutingDelegate(self, server_conn, request_conn)

    def __call__(self, request: HTTPServerRequest) -> Awaitable[None] | None:
        """Serve a request whose body has already been read (e.g. from a callable server).

        Args:
            request (HTTPServerRequest): the complete request (with ``connection``).

        Returns:
            Awaitable[None] | None: completes once the handler's ``prepare`` has run.
        """
        return self.find_handler(request).execute()

    def listen(
        self,
        port: int,
        address: str | None = None,
        *,
        family: socket.AddressFamily = socket.AF_UNSPEC,
        backlog: int | None = None,
        flags: int | None = None,
        reuse_port: bool = False,
        **kwargs: Any,
    ) -> HTTPServer:
        """Start an ``HTTPServer`` for this application on a port.

        Args:
            port (int): the TCP port (0 picks a free one; read it from the sockets).
            address (str | None): the address to bind; None means all interfaces.
            family (socket.AddressFamily): restrict to IPv4/IPv6.
            backlog (int | None): the listen backlog (the server's default when None).
            flags (int | None): ``getaddrinfo`` flags.
            reuse_port (bool): set ``SO_REUSEPORT``.
            **kwargs (Any): ``HTTPServer`` arguments (``xheaders``, ``max_body_size``...).

        Returns:
            HTTPServer: the listening server (call ``stop()`` to close it).

        Raises:
            OSError: the address cannot be bound.
        """
        server = HTTPServer(self, **kwargs)
        listen_kwargs: dict[str, Any] = {"family": family, "reuse_port": reuse_port}
        if backlog is not None:
            listen_kwargs["backlog"] = backlog
        if flags is not None:
            listen_kwargs["flags"] = flags
        server.listen(port, address, **listen_kwargs)
        return server

    def log_request(self, handler: RequestHandler) -> None:
        """Write one access-log line for a finished request.

        The line is ``"<status> <method> <uri> (<remote ip>) <ms>ms"`` on
        ``squall.access``: INFO below 400, WARNING below 500, ERROR otherwise. The
        ``log_function`` setting, when given, is called with the handler instead.

        Args:
            handler (RequestHandler): the handler that served the request.
        """
        log_function = self.settings.get("log_function")
        if log_function is not None:
            log_function(handler)
            return
        status = handler.get_status()
        if status < 400:
            log_method = access_log.info
        elif status < 500:
            log_method = access_log.warning
        else:
            log_method = access_log.error
        request_time = 1000.0 * handler.request.request_time()
        log_method("%d %s %.2fms", status, handler._request_summary(), request_time)


class _HandlerDelegate(HTTPMessageDelegate):
    """Collects the request body, then runs the handler."""

    def __init__(  # noqa: PLR0917
        self,
        application: Application,
        request: HTTPServerRequest,
        handler_class: type[RequestHandler],
        handler_kwargs: dict[str, Any] | None,
        path_args: list[bytes | None] | None,
        path_kwargs: dict[str, bytes | None] | None,
    ) -> None:
        self.application = application
        self.connection = request.connection
        self.request = request
        self.handler_class = handler_class
        self.handler_kwargs = handler_kwargs or {}
        self.path_args = path_args or []
        self.path_kwargs = path_kwargs or {}
        self.chunks: list[bytes] | None = []
        self.stream_request_body = bool(handler_class._stream_request_body)
        self.handler: RequestHandler | None = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        if self.stream_request_body:
            loop = asyncio.get_running_loop()
            self.request._body_future = loop.create_future()
            return self.execute()
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        if self.stream_request_body:
            assert self.handler is not None
            return self.handler.data_received(chunk)
        if self.chunks is not None:
            self.chunks.append(chunk)
        return None

    def finish(self) -> None:
        if self.stream_request_body:
            body_future = self.request._body_future
            future_set_result_unless_cancelled(body_future, None)
        else:
            self.request.body = b"".join(self.chunks or [])
            self.request._parse_body()
            self.execute()

    def on_connection_close(self) -> None:
        if self.stream_request_body and self.handler is not None:
            self.handler.on_connection_close()
        else:
            self.chunks = None

    def execute(self) -> Future[None] | None:
        handler = self.handler_class(self.application, self.request, **self.handler_kwargs)
        self.handler = handler
        transforms = [transform(self.request) for transform in self.application.transforms]
        loop = asyncio.get_running_loop()
        if self.stream_request_body:
            handler._prepared_future = loop.create_future()
        task = loop.create_task(handler._execute(transforms, *self.path_args, **self.path_kwargs))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        return handler._prepared_future


class _RoutingDelegate(HTTPMessageDelegate):
    """Builds the request from the start line, routes it, and forwards body events."""

    def __init__(
        self, application: Application, server_conn: object, request_conn: HTTPConnection
    ) -> None:
        self.application = application
        self.server_conn = server_conn
        self.request_conn = request_conn
        self.delegate: _HandlerDelegate | None = None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        assert isinstance(start_line, RequestStartLine)
        request = HTTPServerRequest(
            connection=self.request_conn,
            server_connection=self.server_conn,
            start_line=start_line,
            headers=headers,
        )
        self.delegate = self.application.find_handler(request)
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        assert self.delegate is not None
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        assert self.delegate is not None
        self.delegate.finish()

    def on_connection_close(self) -> None:
        if self.delegate is not None:
            self.delegate.on_connection_close()
