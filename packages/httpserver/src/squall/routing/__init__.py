"""Flexible request routing (Tornado's ``tornado.routing``).

Coming in the HTTP/1 server issue: ``Router``, ``RuleRouter``, ``Rule``, the
matchers and ``ReversibleRuleRouter``. ``squall.web`` keeps its own URL table
until then.
"""

__all__: list[str] = []
