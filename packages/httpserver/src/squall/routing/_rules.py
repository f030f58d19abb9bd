"""Rule (a matcher and a target) and URLSpec (a rule on the request path)."""

from __future__ import annotations

import re
from typing import Any

from squall.routing._matchers import Matcher, PathMatches
from squall.util import import_object


class Rule:
    """A routing rule: a ``Matcher`` and the target it leads to (Tornado's ``routing.Rule``).

    Args:
        matcher: the ``Matcher`` deciding whether a request belongs to this rule.
        target: what handles a matching request; what is accepted depends on the
            router: ``RuleRouter`` takes an ``HTTPServerConnectionDelegate``, a
            callable taking an ``HTTPServerRequest``, a ``Router``, or a list of rules
            (made a nested router); ``squall.web.Application`` also takes
            ``RequestHandler`` subclasses. A ``str`` is a dotted import path, imported
            here.
        target_kwargs: extra keyword arguments for the target (``initialize``
            arguments of a ``RequestHandler``, keyword arguments of a callable).
        name: a name for ``reverse_url``.

    Attributes:
        matcher (Matcher): see above.
        target (Any): see above (imported when it was given as a ``str``).
        target_kwargs (dict[str, Any]): never ``None``.
        name (str | None): see above.

    Raises:
        ImportError: a ``str`` target cannot be imported.
    """

    def __init__(
        self,
        matcher: Matcher,
        target: Any,
        target_kwargs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        if isinstance(target, str):
            target = import_object(target)
        self.matcher = matcher
        self.target = target
        self.target_kwargs: dict[str, Any] = target_kwargs if target_kwargs else {}
        self.name = name

    def reverse(self, *args: Any) -> str | None:
        """Build this rule's URL (``self.matcher.reverse(*args)``).

        Args:
            *args: values for the matcher's groups.

        Returns:
            The URL, or ``None`` when the matcher cannot be reversed.

        Raises:
            ValueError: from ``PathMatches.reverse``.
        """
        return self.matcher.reverse(*args)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.matcher!r}, {self.target!r}, "
            f"kwargs={self.target_kwargs!r}, name={self.name!r})"
        )


class URLSpec(Rule):
    """A rule matching the request path (Tornado's ``URLSpec``, also ``squall.web.URLSpec``).

    The usual entry of a ``squall.web.Application`` table: ``URLSpec(pattern,
    handler, kwargs, name)`` is what a ``(pattern, handler, kwargs, name)`` tuple
    becomes. Matching and reversing follow ``PathMatches``.

    Args:
        pattern: the path regex (``str``, ``$`` appended when missing, or a compiled
            ``re.Pattern``).
        handler: the target (usually a ``RequestHandler`` subclass), or its dotted
            import path.
        kwargs: keyword arguments for the handler's ``initialize``.
        name: a name for ``reverse_url``.

    Attributes:
        regex (re.Pattern[str]): the compiled pattern.
        handler_class (Any): the target (same as ``target``).
        kwargs (dict[str, Any]): the ``initialize`` arguments (same as ``target_kwargs``).
    """

    matcher: PathMatches

    def __init__(
        self,
        pattern: str | re.Pattern[str],
        handler: Any,
        kwargs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        matcher = PathMatches(pattern)
        super().__init__(matcher, handler, dict(kwargs or {}), name)
        self.regex = matcher.regex
        self.handler_class = self.target
        self.kwargs = self.target_kwargs

    def match(self, path: str) -> tuple[list[bytes | None], dict[str, bytes | None]] | None:
        """Match a bare request path (a squall addition; routers use ``matcher.match``).

        Args:
            path: the request path, still percent-encoded, without the query string.

        Returns:
            ``(path_args, path_kwargs)`` with percent-decoded groups (see
            ``PathMatches``), or ``None`` when the path does not match.
        """
        return self.matcher.match_path(path)

    def reverse(self, *args: Any) -> str:
        """Build the path this route matches (see ``PathMatches.reverse``).

        Args:
            *args: one value per group.

        Returns:
            The path.

        Raises:
            ValueError: the pattern cannot be reversed, or the argument count is wrong.
        """
        path = self.matcher.reverse(*args)
        assert path is not None
        return path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.regex.pattern!r}, {self.handler_class!r}, "
            f"kwargs={self.kwargs!r}, name={self.name!r})"
        )
