"""Routers: pick the delegate for a request once its headers are known."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Iterable
from typing import Any

from squall.httpserver._server import _CallableAdapter
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    HTTPServerRequest,
    RequestStartLine,
    ResponseStartLine,
)
from squall.log import app_log
from squall.routing._matchers import Matcher, PathMatches
from squall.routing._rules import Rule


class Router(HTTPServerConnectionDelegate):
    """Base of every router (Tornado's ``routing.Router``).

    A router is an ``HTTPServerConnectionDelegate``: pass it to ``HTTPServer``.
    For each request it builds an ``HTTPServerRequest`` from the start line and
    headers, asks ``find_handler`` for an ``HTTPMessageDelegate`` and forwards the
    body and the end of the request to it. When ``find_handler`` returns ``None``
    the request is answered ``404 Not Found`` (and logged at DEBUG on
    ``squall.application``).
    """

    def find_handler(
        self, request: HTTPServerRequest, **kwargs: Any
    ) -> HTTPMessageDelegate | None:
        """Pick the delegate for a request.

        Args:
            request: the request, with its headers (the body is not read yet).
            **kwargs: extra arguments a parent router passes on (for example
                ``path_args``/``path_kwargs`` from its ``PathMatches``).

        Returns:
            The ``HTTPMessageDelegate`` that receives the request, or ``None`` for 404.

        Raises:
            NotImplementedError: in this base class.
        """
        raise NotImplementedError()

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Called by ``HTTPServer`` when a request starts on a connection.

        Args:
            server_conn: the transport connection (opaque).
            request_conn: the ``HTTPConnection`` the response is written to.

        Returns:
            A delegate that routes the request once its headers arrive.
        """
        return _RoutingDelegate(self, server_conn, request_conn)


class ReversibleRouter(Router):
    """A router that can build URLs for named rules (Tornado's ``routing.ReversibleRouter``)."""

    def reverse_url(self, name: str, *args: Any) -> str | None:
        """Build the URL of a named rule.

        Args:
            name: the rule name.
            *args: values for the rule's groups.

        Returns:
            The URL, or ``None`` when no rule has that name.

        Raises:
            NotImplementedError: in this base class.
        """
        raise NotImplementedError()


class _RoutingDelegate(HTTPMessageDelegate):
    """Builds the request, asks the router for its delegate and forwards to it."""

    def __init__(self, router: Router, server_conn: object, request_conn: HTTPConnection) -> None:
        self.router = router
        self.server_conn = server_conn
        self.request_conn = request_conn
        self.delegate: HTTPMessageDelegate | None = None

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
        delegate = self.router.find_handler(request)
        if delegate is None:
            app_log.debug(
                "Delegate for %s %s request not found", start_line.method, start_line.path
            )
            delegate = _NotFoundDelegate(self.request_conn)
        self.delegate = delegate
        return delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        assert self.delegate is not None
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        assert self.delegate is not None
        self.delegate.finish()

    def on_connection_close(self) -> None:
        if self.delegate is not None:
            self.delegate.on_connection_close()


class _NotFoundDelegate(HTTPMessageDelegate):
    """Answers 404 with an empty body once the request has been read."""

    def __init__(self, connection: HTTPConnection) -> None:
        self.connection = connection

    def finish(self) -> None:
        headers = HTTPHeaders({"Content-Length": "0"})
        self.connection.write_headers(ResponseStartLine("HTTP/1.1", 404, "Not Found"), headers)
        self.connection.finish()


_RuleSpec = Any  # a Rule, or a (pattern|Matcher, target[, kwargs[, name]]) tuple or list


class RuleRouter(Router):
    """A router trying an ordered list of ``Rule`` objects (Tornado's ``routing.RuleRouter``).

    The first rule whose matcher matches and whose target yields a delegate wins.
    Rules are given as ``Rule`` objects or as tuples (or lists) of 2 to 4 items,
    ``(matcher, target[, target_kwargs[, name]])``, where a ``str`` in place of the
    matcher means ``PathMatches(str)``. Targets (see ``get_target_delegate``) may be
    an ``HTTPServerConnectionDelegate`` (an ``Application``, a ``Router``...), a
    callable taking an ``HTTPServerRequest`` (such as ``squall.wsgi.WSGIContainer``),
    or a list of rules, which ``process_rule`` makes a nested ``RuleRouter`` (Tornado
    does this only inside ``web.Application``)::

        router = RuleRouter([
            Rule(HostMatches("example.com"), app),
            (r"/wsgi/.*", WSGIContainer(flask_app)),
            (PathMatches(r"/api/.*"), [(r"/api/v1", api_v1)]),
        ])
        HTTPServer(router).listen(8888)

    Args:
        rules: the initial rules (``None`` for none), in order.

    Attributes:
        rules (list[Rule]): the rules, in the order they are tried.
    """

    def __init__(self, rules: Iterable[_RuleSpec] | None = None) -> None:
        self.rules: list[Rule] = []
        if rules:
            self.add_rules(rules)

    def add_rules(self, rules: Iterable[_RuleSpec]) -> None:
        """Append rules, each passed through ``process_rule``.

        Args:
            rules: ``Rule`` objects or ``(matcher_or_path_pattern, target[,
                target_kwargs[, name]])`` tuples or lists.

        Raises:
            TypeError: an entry is neither a ``Rule`` nor a 2- to 4-item sequence
                (Tornado raises ``AssertionError`` for a wrong length).
        """
        for spec in rules:
            rule: Rule
            if isinstance(spec, Rule):
                rule = spec
            elif isinstance(spec, tuple | list) and 2 <= len(spec) <= 4:
                first, *rest = spec
                if isinstance(first, str):
                    rule = Rule(PathMatches(first), *rest)
                elif isinstance(first, Matcher):
                    rule = Rule(first, *rest)
                else:
                    raise TypeError(f"Invalid rule {spec!r}: needs a path pattern or a Matcher")
            else:
                raise TypeError(f"Invalid rule {spec!r}")
            self.rules.append(self.process_rule(rule))

    def process_rule(self, rule: Rule) -> Rule:
        """Prepare a rule as it is added; override to transform or check rules.

        Here a ``list`` or ``tuple`` target becomes a nested ``RuleRouter`` of those
        rules (a squall extension of Tornado's ``RuleRouter``).

        Args:
            rule: the rule being added.

        Returns:
            The rule to store (the same object, possibly modified).
        """
        if isinstance(rule.target, list | tuple):
            rule.target = RuleRouter(rule.target)
        return rule

    def find_handler(
        self, request: HTTPServerRequest, **kwargs: Any
    ) -> HTTPMessageDelegate | None:
        """Try the rules in order.

        The first rule whose ``matcher.match(request)`` is not ``None`` is asked for a
        delegate via ``get_target_delegate(target, request, **params)``, where
        ``params`` are the matcher's arguments plus ``target_kwargs`` (when the rule
        has any); if that gives ``None``, the search goes on.

        Args:
            request: the request.
            **kwargs: ignored (a parent router's arguments).

        Returns:
            The delegate, or ``None`` when no rule leads to one.
        """
        for rule in self.rules:
            params = rule.matcher.match(request)
            if params is None:
                continue
            if rule.target_kwargs:
                params["target_kwargs"] = rule.target_kwargs
            delegate = self.get_target_delegate(rule.target, request, **params)
            if delegate is not None:
                return delegate
        return None

    def get_target_delegate(
        self, target: Any, request: HTTPServerRequest, **target_params: Any
    ) -> HTTPMessageDelegate | None:
        """Turn a rule's target into a delegate for this request.

        Args:
            target: a ``Router`` (its ``find_handler(request, **target_params)`` is
                used), another ``HTTPServerConnectionDelegate`` (its
                ``start_request``), or a callable, which receives the request with its
                body read, as ``target(request, **target_params)`` (Tornado passes the
                matcher's arguments, e.g. ``path_args``/``path_kwargs``, the same way).
            request: the request.
            **target_params: the matcher's arguments and ``target_kwargs``.

        Returns:
            The delegate, or ``None`` for a target of another kind.
        """
        if isinstance(target, Router):
            return target.find_handler(request, **target_params)
        if isinstance(target, HTTPServerConnectionDelegate):
            assert request.connection is not None
            return target.start_request(request.server_connection, request.connection)
        if callable(target):
            assert request.connection is not None
            callback = functools.partial(target, **target_params) if target_params else target
            return _CallableAdapter(callback, request.connection)
        return None


class ReversibleRuleRouter(ReversibleRouter, RuleRouter):
    """A ``RuleRouter`` with ``reverse_url`` (Tornado's ``routing.ReversibleRuleRouter``).

    Named rules are looked up first in this router, then in nested
    ``ReversibleRouter`` targets, in rule order.

    Args:
        rules: the initial rules, as for ``RuleRouter``.

    Attributes:
        named_rules (dict[str, Rule]): this router's rules by name.
    """

    def __init__(self, rules: Iterable[_RuleSpec] | None = None) -> None:
        self.named_rules: dict[str, Rule] = {}
        super().__init__(rules)

    def process_rule(self, rule: Rule) -> Rule:
        """Record a named rule (and nest list targets, see ``RuleRouter.process_rule``).

        A list target becomes a nested ``ReversibleRuleRouter``. As in Tornado, a
        second rule with the same name replaces the first, with a warning logged on
        ``squall.application``.

        Args:
            rule: the rule being added.

        Returns:
            The rule.
        """
        if isinstance(rule.target, list | tuple):
            rule.target = ReversibleRuleRouter(rule.target)
        rule = super().process_rule(rule)
        if rule.name:
            if rule.name in self.named_rules:
                app_log.warning("Multiple handlers named %s; replacing previous value", rule.name)
            self.named_rules[rule.name] = rule
        return rule

    def reverse_url(self, name: str, *args: Any) -> str | None:
        """Build the URL of a named rule, searching nested routers too.

        Args:
            name: the rule name.
            *args: values for the rule's groups, percent-encoded into the URL.

        Returns:
            The URL, or ``None`` when no rule here or below has that name.

        Raises:
            ValueError: the named rule's pattern cannot be reversed, or the number
                of arguments is wrong.
        """
        if name in self.named_rules:
            return self.named_rules[name].matcher.reverse(*args)
        for rule in self.rules:
            if isinstance(rule.target, ReversibleRouter):
                url = rule.target.reverse_url(name, *args)
                if url is not None:
                    return url
        return None
