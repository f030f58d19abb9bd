"""URL patterns: matching request paths and building URLs back from them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_to_bytes

from squall.util import import_object

if TYPE_CHECKING:
    from ._handler import RequestHandler

# Characters a regex escape may stand for literally when reversing a pattern.
_ALNUM_ESCAPE = re.compile(r"\\[a-zA-Z0-9]")
_ANY_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_REGEX_SPECIALS = frozenset("^$*+?{}[]|")


def _re_unescape(text: str) -> str:
    """Undo ``re.escape`` on a literal regex fragment.

    Raises:
        ValueError: the fragment holds a class escape like ``\\d`` (not a literal).
    """
    if _ALNUM_ESCAPE.search(text):
        raise ValueError("cannot unescape a character class escape")
    return _ANY_ESCAPE.sub(lambda m: m.group(1), text)


def _literal_template(pattern: str, group_count: int) -> str | None:
    """Turn ``/a/([0-9]+)/b`` into ``/a/%s/b``; None when it cannot be reversed.

    Only patterns whose groups are simple, non-nested and whose text outside the
    groups is a literal (possibly escaped) string are reversible.
    """
    if pattern.startswith("^"):
        pattern = pattern[1:]
    if pattern.endswith("$"):
        pattern = pattern[:-1]
    if pattern.count("(") != group_count:
        return None
    pieces: list[str] = []
    rest = pattern
    while True:
        start = rest.find("(")
        literal = rest if start < 0 else rest[:start]
        if any(ch in _REGEX_SPECIALS for ch in _ANY_ESCAPE.sub("", literal)):
            return None
        try:
            pieces.append(_re_unescape(literal).replace("%", "%%"))
        except ValueError:
            return None
        if start < 0:
            break
        end = rest.find(")", start)
        if end < 0:
            return None
        pieces.append("%s")
        rest = rest[end + 1 :]
    return "".join(pieces)


def _unquote_or_none(value: str | None) -> bytes | None:
    """Percent-decode a captured path group to bytes (``+`` stays literal); None stays None."""
    if value is None:
        return None
    return unquote_to_bytes(value)


class URLSpec:
    """One route: a path regex, the handler class and its ``initialize`` kwargs.

    Follows Tornado's ``web.URLSpec``: the pattern is anchored at the end (``$`` is
    appended when missing) and matched from the start of the request path. Captured
    groups are passed to the handler method, percent-decoded: named groups as keyword
    arguments, otherwise unnamed groups positionally.

    Args:
        pattern (str | re.Pattern[str]): the path regex.
        handler (type[RequestHandler] | str): the handler class, or its dotted import
            path (imported on construction).
        kwargs (dict[str, Any] | None): keyword arguments for the handler's ``initialize``.
        name (str | None): a name for ``Application.reverse_url``.

    Attributes:
        regex (re.Pattern[str]): the compiled pattern.
        handler_class (type[RequestHandler]): the handler class.
        kwargs (dict[str, Any]): the ``initialize`` arguments.
        name (str | None): the route name.
    """

    def __init__(
        self,
        pattern: str | re.Pattern[str],
        handler: type[RequestHandler] | str,
        kwargs: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        if isinstance(pattern, str):
            if not pattern.endswith("$"):
                pattern += "$"
            self.regex = re.compile(pattern)
        else:
            self.regex = pattern
        if isinstance(handler, str):
            handler = import_object(handler)
        self.handler_class: type[RequestHandler] = handler  # type: ignore[assignment]
        self.target = self.handler_class
        self.kwargs: dict[str, Any] = dict(kwargs or {})
        self.target_kwargs = self.kwargs
        self.name = name
        self._group_count = self.regex.groups
        self._path = _literal_template(self.regex.pattern, self._group_count)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.regex.pattern!r}, {self.handler_class!r}, "
            f"kwargs={self.kwargs!r}, name={self.name!r})"
        )

    def match(self, path: str) -> tuple[list[bytes | None], dict[str, bytes | None]] | None:
        """Match a request path against this route.

        Args:
            path (str): the request path (no query string), still percent-encoded.

        Returns:
            tuple[list[bytes | None], dict[str, bytes | None]] | None: ``(path_args,
            path_kwargs)`` with percent-decoded captured groups (None for groups that
            did not participate), or None when the path does not match.
        """
        found = self.regex.match(path)
        if found is None:
            return None
        if not self.regex.groups:
            return [], {}
        if self.regex.groupindex:
            named = {str(k): _unquote_or_none(v) for k, v in found.groupdict().items()}
            return [], named
        return [_unquote_or_none(v) for v in found.groups()], {}

    def reverse(self, *args: Any) -> str:
        """Build the path this route matches from values for its groups.

        Args:
            *args (Any): one value per group; ``str``/``bytes`` are used as-is, anything
                else through ``str()``. Values are percent-encoded (``/`` is kept, as in Tornado).

        Returns:
            str: the path, e.g. ``/user/42`` for ``r"/user/([0-9]+)"``.

        Raises:
            ValueError: the pattern is too complex to reverse, or the number of
                arguments does not match the number of groups.
        """
        if self._path is None:
            raise ValueError(f"Cannot reverse url regex {self.regex.pattern}")
        if len(args) != self._group_count:
            raise ValueError(
                f"URL pattern {self.regex.pattern!r} needs {self._group_count} "
                f"arguments, got {len(args)}"
            )
        if not args:
            return self._path.replace("%%", "%")
        encoded: list[str] = []
        for arg in args:
            raw = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
            encoded.append(quote(raw, safe="/"))
        return self._path % tuple(encoded)


url = URLSpec
"""Alias of :class:`URLSpec` (Tornado's ``web.url``)."""
