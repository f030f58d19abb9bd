"""Flexible request routing (Tornado's ``tornado.routing``).

A ``Router`` is an ``HTTPServerConnectionDelegate`` that picks, per request, the
``HTTPMessageDelegate`` to hand it to. ``RuleRouter`` does so with an ordered list
of ``Rule`` objects, each a ``Matcher`` (``PathMatches``, ``HostMatches``,
``AnyMatches``, ``DefaultHostMatches`` or your own) and a target: another router
or ``HTTPServerConnectionDelegate`` (such as ``squall.web.Application``), a
callable taking an ``HTTPServerRequest`` (such as ``squall.wsgi.WSGIContainer``),
or a list of rules. ``ReversibleRuleRouter`` adds ``reverse_url`` for named rules.
``squall.web.Application`` is itself a ``ReversibleRouter`` built on these, and
``squall.web.URLSpec`` is ``URLSpec`` from here::

    router = RuleRouter([
        Rule(HostMatches("api\\.example\\.com"), api_app),
        (r"/legacy/.*", WSGIContainer(flask_app)),
        Rule(AnyMatches(), web_app),
    ])
    HTTPServer(router).listen(8888)
"""

from squall.routing._matchers import (
    AnyMatches,
    DefaultHostMatches,
    HostMatches,
    Matcher,
    PathMatches,
)
from squall.routing._routers import ReversibleRouter, ReversibleRuleRouter, Router, RuleRouter
from squall.routing._rules import Rule, URLSpec

__all__ = [
    "AnyMatches",
    "DefaultHostMatches",
    "HostMatches",
    "Matcher",
    "PathMatches",
    "ReversibleRouter",
    "ReversibleRuleRouter",
    "Router",
    "Rule",
    "RuleRouter",
    "URLSpec",
]
