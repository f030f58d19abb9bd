"""Application: the routing table and settings of a web app, and its request delegates."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Sequence
from typing import Any, cast

from squall.concurrent import Future, future_set_result_unless_cancelled
from squall.httpserver import HTTPServer
from squall.httputil import (
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)
from squall.log import access_log
from squall.routing import (
    AnyMatches,
    DefaultHostMatches,
    HostMatches,
    Matcher,
    ReversibleRouter,
    ReversibleRuleRouter,
    Rule,
)

from ._app_router import _ApplicationRouter
from ._builtin import ErrorHandler
from ._handler import RequestHandler
from ._transforms import GZipContentEncoding, OutputTransform

HandlerSpec = (
    Rule
    | tuple[str | re.Pattern[str] | Matcher, Any]
    | tuple[str | re.Pattern[str] | Matcher, Any, dict[str, Any]]
    | tuple[str | re.Pattern[str] | Matcher, Any, dict[str, Any], str]
    | list[Any]
)
"""One routing table entry (Tornado's rule forms).

A ``Rule`` or ``URLSpec``, or a ``(pattern_or_matcher, target[, kwargs[, name]])``
tuple (or list). A ``str`` pattern means ``PathMatches(pattern)``. The target is a
``RequestHandler`` subclass (or its dotted name), a list of such entries (a nested
router), a ``squall.routing.Router`` or other ``HTTPServerConnectionDelegate``, or a
callable taking an ``HTTPServerRequest`` (such as ``squall.wsgi.WSGIContainer``).
"""

# Tasks running handlers; kept referenced so the event loop cannot drop them.
_RUNNING: set[asyncio.Task[None]] = set()


class Application(ReversibleRouter):
    """A collection of request handlers making a web application (Tornado's ``web.Application``).

    The application is a ``squall.routing.ReversibleRouter``: its table is a
    ``ReversibleRuleRouter`` (``wildcard_router``) tried in order, the first matching
    rule wins. Besides ``(pattern, RequestHandler)`` routes it takes every rule form
    of ``squall.routing`` (see ``HandlerSpec``): ``Rule`` objects with any
    ``Matcher``, nested lists of rules, routers and other delegates (for example
    another ``Application``), and callables. Unmatched paths get
    ``default_handler_class`` (with ``default_handler_args``) or a 404
    ``ErrorHandler``.

    Settings used here: ``debug`` (turns on ``serve_traceback``; also sets
    ``autoreload``, ``compiled_template_cache=False`` and ``static_hash_cache=False``
    for compatibility, though autoreload is not started yet), ``serve_traceback``,
    ``default_handler_class``, ``default_handler_args``, ``compress_response`` (gzip
    output, also spelled ``gzip``) and ``log_function`` (replaces ``log_request``).

    Args:
        handlers (Sequence[HandlerSpec] | None): the routing table (see ``HandlerSpec``).
        default_host (str | None): the host whose ``add_handlers`` routes also serve
            requests for other hosts (when no ``X-Real-Ip`` header is present).
        transforms (list[type[OutputTransform]] | None): output transform classes;
            by default gzip when ``compress_response`` is set.
        **settings (Any): application settings, available as ``self.settings``.

    Raises:
        TypeError: a route is malformed or its target is a class that is not a
            ``RequestHandler`` subclass (Tornado fails later, per request).
        ValueError: two routes anywhere in the application share a name (Tornado
            logs a warning and keeps the last).

    Attributes:
        settings (dict[str, Any]): the settings.
        transforms (list[type[OutputTransform]]): transform classes applied per request.
        named_handlers (dict[str, Rule]): every named rule of the application.
        default_host (str | None): see above.
        wildcard_router (ReversibleRuleRouter): the rules given to the constructor
            (then the default host's rules, see ``add_handlers``).
        default_router (ReversibleRuleRouter): the host rules of ``add_handlers``,
            then ``wildcard_router``; ``find_handler`` starts here.
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
        self.named_handlers: dict[str, Rule] = {}
        if self.settings.get("debug"):
            self.settings.setdefault("autoreload", True)
            self.settings.setdefault("compiled_template_cache", False)
            self.settings.setdefault("static_hash_cache", False)
            self.settings.setdefault("serve_traceback", True)
        self.wildcard_router: ReversibleRuleRouter = _ApplicationRouter(self, handlers)
        self.default_router: ReversibleRuleRouter = _ApplicationRouter(
            self, [Rule(AnyMatches(), self.wildcard_router)]
        )

    def add_handlers(self, host_pattern: str, host_handlers: Sequence[HandlerSpec]) -> None:
        """Add routes served only for requests whose host matches ``host_pattern``.

        Host-specific routes are tried before the routes given to the constructor, in
        the order they were added (Tornado's behaviour). When ``default_host`` matches
        ``host_pattern``, the routes also serve other hosts, after the constructor's
        routes, for requests without ``X-Real-Ip`` (``DefaultHostMatches``).

        Args:
            host_pattern (str): a regex matched against ``request.host_name`` (``$`` is
                appended when missing).
            host_handlers (Sequence[HandlerSpec]): routes as for the constructor.

        Raises:
            TypeError: a route is malformed or its handler is not a RequestHandler.
            ValueError: a route name is already used.
        """
        host_matcher = HostMatches(host_pattern)
        host_router = _ApplicationRouter(self, host_handlers)
        self.default_router.rules.insert(-1, Rule(host_matcher, host_router))
        if self.default_host is not None:
            self.wildcard_router.add_rules(
                [Rule(DefaultHostMatches(self, host_matcher.host_pattern), host_router)]
            )

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
        reversed_url = self.default_router.reverse_url(name, *args)
        if reversed_url is not None:
            return reversed_url
        raise KeyError(f"{name} not found in named urls")

    def find_handler(self, request: HTTPServerRequest, **kwargs: Any) -> _HandlerDelegate:
        """Pick the route for a request (never ``None``: unmatched requests get a 404 handler).

        Args:
            request (HTTPServerRequest): the request (its ``path``, ``host_name`` and,
                for ``DefaultHostMatches``, ``X-Real-Ip`` header).
            **kwargs (Any): unused; kept for Tornado's router interface.

        Returns:
            _HandlerDelegate: the delegate that will run the handler (the one from
            ``get_handler_delegate``). For a route whose target is a nested delegate
            or a callable, the target's own ``HTTPMessageDelegate`` is returned
            instead; the annotation follows Tornado's, which casts the same way.
        """
        route = self.default_router.find_handler(request)
        if route is not None:
            return cast("_HandlerDelegate", route)
        default_class = self.settings.get("default_handler_class")
        if default_class is not None:
            return self.get_handler_delegate(
                request, default_class, self.settings.get("default_handler_args", {})
            )
        return self.get_handler_delegate(request, ErrorHandler, {"status_code": 404})

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

    def __call__(self, request: HTTPServerRequest) -> Awaitable[None] | None:
        """Serve a request whose body has already been read (e.g. from a callable server).

        Args:
            request (HTTPServerRequest): the complete request (with ``connection``).

        Returns:
            Awaitable[None] | None: for a ``RequestHandler`` route, completes once the
            handler's ``prepare`` has run; for another target (a nested delegate or
            callable), completes once the request has been replayed into it.
        """
        route: HTTPMessageDelegate = self.find_handler(request)
        if isinstance(route, _HandlerDelegate):
            return route.execute()
        task = asyncio.get_running_loop().create_task(_replay(route, request))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        return task

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


async def _replay(delegate: HTTPMessageDelegate, request: HTTPServerRequest) -> None:
    """Feed an already-read request to a message delegate, honouring its flow control."""
    start_line = RequestStartLine(request.method or "GET", request.uri or "/", request.version)
    waiting = delegate.headers_received(start_line, request.headers)
    if waiting is not None:
        await waiting
    if request.body:
        waiting = delegate.data_received(request.body)
        if waiting is not None:
            await waiting
    delegate.finish()
