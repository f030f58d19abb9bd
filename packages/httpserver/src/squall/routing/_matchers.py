"""Matchers: decide whether a request belongs to a rule, and build URLs back."""

from __future__ import annotations

import re
from typing import Any, Protocol
from urllib.parse import quote, unquote_to_bytes

from squall.httputil import HTTPServerRequest


class Matcher:
    """Decides whether a request matches (Tornado's ``routing.Matcher``)."""

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Match a request.

        Args:
            request: the ``HTTPServerRequest`` being routed (headers parsed, body
                not read yet).

        Returns:
            ``None`` when the request does not match; otherwise a ``dict`` of keyword
            arguments for the target's delegate (``{}`` when there are none;
            ``PathMatches`` gives ``path_args`` and ``path_kwargs``).

        Raises:
            NotImplementedError: in this base class.
        """
        raise NotImplementedError()

    def reverse(self, *args: Any) -> str | None:
        """Build the URL this matcher matches from values for its groups.

        Args:
            *args: one value per group.

        Returns:
            The URL (``str``), or ``None`` when this matcher cannot be reversed
            (the base class, host matchers).
        """
        return None


class AnyMatches(Matcher):
    """Matches every request (Tornado's ``routing.AnyMatches``)."""

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Match any request.

        Args:
            request: the request (ignored).

        Returns:
            ``{}``: always a match with no arguments.
        """
        return {}


def _compile_anchored(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """Compile ``pattern`` with ``$`` appended when missing (a compiled one is kept as is)."""
    if isinstance(pattern, str):
        if not pattern.endswith("$"):
            pattern += "$"
        return re.compile(pattern)
    return pattern


class HostMatches(Matcher):
    """Matches requests whose host matches a regex (Tornado's ``routing.HostMatches``).

    Args:
        host_pattern: a regex (``str``, ``$`` appended when missing, or a compiled
            ``re.Pattern``) matched from the start of ``request.host_name`` (the
            lower-cased ``Host`` without its port).

    Attributes:
        host_pattern (re.Pattern[str]): the compiled pattern.
    """

    def __init__(self, host_pattern: str | re.Pattern[str]) -> None:
        self.host_pattern = _compile_anchored(host_pattern)

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Match the request's host name.

        Args:
            request: the request.

        Returns:
            ``{}`` when ``request.host_name`` matches, else ``None``.
        """
        if self.host_pattern.match(request.host_name):
            return {}
        return None


class _HasDefaultHost(Protocol):
    default_host: str | None


class DefaultHostMatches(Matcher):
    """Matches when the application's ``default_host`` matches a pattern.

    Follows Tornado's ``routing.DefaultHostMatches``: used by ``squall.web.Application``
    so that requests for unknown hosts are served by the default host's rules, but
    never for requests that came through a proxy (those carrying ``X-Real-Ip``).

    Args:
        application: any object with a ``default_host`` attribute (``str`` or ``None``),
            read at match time.
        host_pattern: a compiled ``re.Pattern`` (or a ``str``, ``$`` appended when
            missing) matched against ``application.default_host``.

    Attributes:
        application: the object given.
        host_pattern (re.Pattern[str]): the compiled pattern.
    """

    def __init__(self, application: Any, host_pattern: str | re.Pattern[str]) -> None:
        self.application: _HasDefaultHost = application
        self.host_pattern = _compile_anchored(host_pattern)

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Match on the application's default host.

        Args:
            request: the request (only its ``X-Real-Ip`` header is consulted).

        Returns:
            ``{}`` when the request has no ``X-Real-Ip`` header and
            ``application.default_host`` matches the pattern, else ``None``.
        """
        default_host = self.application.default_host
        if "X-Real-Ip" in request.headers or default_host is None:
            return None
        if self.host_pattern.match(default_host):
            return {}
        return None


# Regex escapes of letters and digits are classes (\d, \w, \b...), not literals.
_ALNUM_ESCAPE = re.compile(r"\\[a-zA-Z0-9]")
_ANY_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# Unescaped characters that make a literal piece of a pattern not literal. "." is
# allowed, as in Tornado (it matches itself among other things).
_NOT_LITERAL = frozenset("^$*+?{}[]|()")


def _re_unescape(text: str) -> str | None:
    """Undo ``re.escape`` on a literal regex fragment; ``None`` if it is not literal."""
    if _ALNUM_ESCAPE.search(text):
        return None
    if any(ch in _NOT_LITERAL for ch in _ANY_ESCAPE.sub("", text)):
        return None
    return _ANY_ESCAPE.sub(lambda m: m.group(1), text)


def _reverse_template(pattern: str, group_count: int) -> str | None:
    """Turn ``/a/([0-9]+)/b`` into the ``%``-template ``/a/%s/b``.

    Tornado's reverse rules: a leading ``^`` and trailing ``$`` are dropped; the
    pattern is reversible only if it has exactly one ``(`` per capturing group (so no
    ``(?:...)``, look-arounds or nested groups) and the text between groups is a
    literal, possibly escaped, string. squall is stricter than Tornado on that text:
    a quantifier, class or alternation outside the groups (``/a/.*``, ``/a/?``) makes
    the pattern irreversible instead of being copied into the URL. A literal ``%`` is
    doubled so that ``%`` formatting keeps it.

    Returns:
        The template, or ``None`` when the pattern cannot be reversed.
    """
    if pattern.startswith("^"):
        pattern = pattern[1:]
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    if pattern.count("(") != group_count:
        return None
    pieces: list[str] = []
    rest = pattern
    while True:
        start = rest.find("(")
        literal = _re_unescape(rest if start < 0 else rest[:start])
        if literal is None:
            return None
        pieces.append(literal.replace("%", "%%"))
        if start < 0:
            return "".join(pieces)
        end = rest.find(")", start)
        if end < 0:
            return None
        pieces.append("%s")
        rest = rest[end + 1 :]


def _unquote_or_none(value: str | None) -> bytes | None:
    """Percent-decode a captured path group to bytes (``+`` stays ``+``); None stays None."""
    if value is None:
        return None
    return unquote_to_bytes(value)


class PathMatches(Matcher):
    """Matches request paths against a regex (Tornado's ``routing.PathMatches``).

    The pattern is anchored at the end (``$`` appended when missing) and matched
    from the start of ``request.path`` (still percent-encoded, no query string).
    Captured groups are percent-decoded to ``bytes`` (``None`` for a group that did
    not participate): named groups become ``path_kwargs`` (and unnamed groups are then
    dropped), otherwise unnamed groups become ``path_args``, as in Tornado.

    Args:
        path_pattern: a regex ``str`` or a compiled ``re.Pattern``.

    Attributes:
        regex (re.Pattern[str]): the compiled pattern.
    """

    def __init__(self, path_pattern: str | re.Pattern[str]) -> None:
        self.regex = _compile_anchored(path_pattern)
        self._group_count = self.regex.groups
        self._path = _reverse_template(self.regex.pattern, self._group_count)

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        """Match the request's path.

        Args:
            request: the request.

        Returns:
            ``{"path_args": list[bytes | None], "path_kwargs": dict[str, bytes | None]}``
            (``{}`` for a pattern without groups), or ``None`` when the path does not
            match.
        """
        groups = self.match_path(request.path)
        if groups is None:
            return None
        if not self._group_count:
            return {}
        path_args, path_kwargs = groups
        return {"path_args": path_args, "path_kwargs": path_kwargs}

    def match_path(self, path: str) -> tuple[list[bytes | None], dict[str, bytes | None]] | None:
        """Match a bare path (a squall addition used by ``match``).

        Args:
            path: a request path, still percent-encoded, without the query string.

        Returns:
            ``(path_args, path_kwargs)`` with percent-decoded groups, or ``None``.
        """
        found = self.regex.match(path)
        if found is None:
            return None
        if not self._group_count:
            return [], {}
        if self.regex.groupindex:
            return [], {str(k): _unquote_or_none(v) for k, v in found.groupdict().items()}
        return [_unquote_or_none(v) for v in found.groups()], {}

    def reverse(self, *args: Any) -> str | None:
        """Build the path this pattern matches from values for its groups.

        Args:
            *args: one value per group, in order; ``str`` (UTF-8 encoded) and
                ``bytes`` are used as they are, anything else through ``str()``.
                Each is percent-encoded, keeping ``/`` (Tornado's
                ``url_escape(plus=False)``).

        Returns:
            The path, e.g. ``/user/42`` for ``r"/user/([0-9]+)"`` and ``42``.

        Raises:
            ValueError: the pattern cannot be reversed (see ``PathMatches``), or the
                number of arguments differs from the number of groups.
        """
        if self._path is None:
            raise ValueError(f"Cannot reverse url regex {self.regex.pattern}")
        if len(args) != self._group_count:
            raise ValueError(
                f"URL pattern {self.regex.pattern!r} needs {self._group_count} "
                f"arguments, got {len(args)}"
            )
        encoded = []
        for arg in args:
            raw = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
            encoded.append(quote(raw, safe="/"))
        return self._path % tuple(encoded)
