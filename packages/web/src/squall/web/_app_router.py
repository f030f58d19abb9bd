"""The Application's rule routers: RequestHandler targets and nested rule lists."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from squall.httputil import HTTPMessageDelegate, HTTPServerConnectionDelegate, HTTPServerRequest
from squall.routing import ReversibleRuleRouter, Rule

from ._handler import RequestHandler

if TYPE_CHECKING:
    from ._application import Application


class _ApplicationRouter(ReversibleRuleRouter):
    """Tornado's ``_ApplicationRouter``: a ``ReversibleRuleRouter`` for an Application.

    Adds ``RequestHandler`` subclasses as targets (run through the application's
    ``get_handler_delegate``), makes list targets nested routers of the same kind,
    checks targets when a rule is added, and keeps rule names unique across the
    whole application (``Application.named_handlers``).
    """

    def __init__(self, application: Application, rules: Iterable[Any] | None = None) -> None:
        self.application = application
        super().__init__(rules)

    def process_rule(self, rule: Rule) -> Rule:
        if isinstance(rule.target, list | tuple):
            rule.target = _ApplicationRouter(self.application, rule.target)
        target = rule.target
        if inspect.isclass(target):
            if not issubclass(target, RequestHandler):
                raise TypeError(f"{target!r} is not a RequestHandler subclass")
        elif not (isinstance(target, HTTPServerConnectionDelegate) or callable(target)):
            raise TypeError(f"Invalid route target {target!r}")
        if rule.name:
            named = self.application.named_handlers
            if named.get(rule.name, rule) is not rule:
                raise ValueError(f"Multiple handlers named {rule.name}")
            named[rule.name] = rule
        return super().process_rule(rule)

    def get_target_delegate(
        self, target: Any, request: HTTPServerRequest, **target_params: Any
    ) -> HTTPMessageDelegate | None:
        if inspect.isclass(target) and issubclass(target, RequestHandler):
            return self.application.get_handler_delegate(request, target, **target_params)
        return super().get_target_delegate(target, request, **target_params)
