"""HTTPHeaders: a case-insensitive multi-dict of HTTP header fields."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, overload

from squall.httputil._abnf import field_name_re, forbidden_value_char_re
from squall.httputil._errors import HTTPInputError


@functools.lru_cache(maxsize=1024)
def _normalize_name(name: str) -> str:
    """Canonical ``Title-Case`` spelling of a header name (``content-type``: ``Content-Type``)."""
    return "-".join(part.capitalize() for part in name.split("-"))


class HTTPHeaders(MutableMapping[str, str]):
    """A dict of HTTP headers that keeps every value of a repeated field.

    Follows Tornado's ``tornado.httputil.HTTPHeaders``: names are
    case-insensitive (stored in ``Title-Case``), ``headers["X"]`` returns all
    values of ``X`` joined with ``","`` (RFC 9110 §5.3), ``add`` appends a value,
    ``get_list`` returns the separate values and ``get_all`` yields every
    ``(name, value)`` pair. Every operation is linear in the number of values.

    Args:
        *args: like ``dict``: another mapping (an ``HTTPHeaders`` is copied with all
            its repeated values) or an iterable of ``(name, value)`` pairs.
        **kwargs: further ``name=value`` headers.
    """

    __slots__ = ("_as_list", "_last_key")

    def __init__(self, *args: Any, **kwargs: str) -> None:
        self._as_list: dict[str, list[str]] = {}
        self._last_key: str | None = None
        if not args and not kwargs:
            return  # HTTPHeaders(): skip MutableMapping.update's machinery
        if len(args) == 1 and not kwargs and isinstance(args[0], HTTPHeaders):
            for name, value in args[0].get_all():
                self.add(name, value)
        else:
            self.update(*args, **kwargs)

    @classmethod
    def _from_pairs(cls, pairs: Iterable[tuple[str, str]], strip: bool = False) -> HTTPHeaders:
        """Build headers from ``(name, value)`` pairs already checked by the caller.

        The fast constructor for parsers and clients: no ``MutableMapping.update``
        machinery and no per-pair method call, the same result as ``add`` for each
        pair in order (names are normalised, repeated names keep every value).
        Nothing is validated: callers pass names and values they have checked
        (the request parser's grammar, or fields a client already verified).

        Args:
            pairs: ``(name, value)`` ``str`` pairs, names in any case.
            strip: remove the optional whitespace (SP, HTAB) around each value
                (RFC 9112 §5): the request parser passes raw field-line values,
                stripped here in the same loop rather than in a list first.

        Returns:
            A new ``HTTPHeaders`` (of ``cls``).
        """
        self = cls.__new__(cls)
        as_list: dict[str, list[str]] = {}
        last: str | None = None
        for name, raw in pairs:
            value = raw.strip(" \t") if strip else raw
            last = _normalize_name(name)
            values = as_list.get(last)
            if values is None:
                as_list[last] = [value]
            else:
                values.append(value)
        self._as_list = as_list
        self._last_key = last
        return self

    # -- multi-value API ------------------------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Append ``value`` to the header ``name`` (keeping the earlier values).

        Args:
            name: header name (any case).
            value: header value.
        """
        norm = _normalize_name(name)
        self._last_key = norm
        values = self._as_list.get(norm)
        if values is None:
            self._as_list[norm] = [value]
        else:
            values.append(value)

    def get_list(self, name: str) -> list[str]:
        """Return every value of ``name`` as a list (empty if absent).

        Args:
            name: header name (any case).

        Returns:
            A new ``list[str]`` in the order the values were added.
        """
        return list(self._as_list.get(_normalize_name(name), ()))

    def get_all(self) -> Iterator[tuple[str, str]]:
        """Yield every ``(name, value)`` pair, repeated fields once per value.

        Returns:
            An iterator of ``(str, str)``; names are in ``Title-Case``.
        """
        for name, values in self._as_list.items():
            for value in values:
                yield name, value

    def parse_line(self, line: str) -> None:
        """Add one ``Name: value`` line; a line starting with whitespace continues the last value.

        Follows Tornado: continuation (``obs-fold``, RFC 9112 §5.2) lines are joined
        to the previous value with a single space. The HTTP/1 server itself rejects
        ``obs-fold`` before it gets here.

        Args:
            line: one header line without its line terminator.

        Raises:
            HTTPInputError: no colon, an invalid field name, a continuation with no
                previous header, or a control character in the value.
        """
        if line[:1] in (" ", "\t"):
            if self._last_key is None:
                raise HTTPInputError("first header line cannot start with whitespace")
            extra = line.strip(" \t")
            if forbidden_value_char_re.search(extra):
                raise HTTPInputError(f"invalid header value {extra!r}")
            values = self._as_list[self._last_key]
            values[-1] = (values[-1] + " " + extra) if extra else values[-1]
            return
        name, sep, value = line.partition(":")
        if not sep:
            raise HTTPInputError(f"no colon in header line {line[:80]!r}")
        if field_name_re.fullmatch(name) is None:
            raise HTTPInputError(f"invalid header name {name[:80]!r}")
        value = value.strip(" \t")
        if forbidden_value_char_re.search(value):
            raise HTTPInputError(f"invalid header value {value[:80]!r}")
        self.add(name, value)

    @classmethod
    def parse(cls, headers: str) -> HTTPHeaders:
        """Parse a header block (lines separated by CRLF or LF) into ``HTTPHeaders``.

        Follows Tornado's ``HTTPHeaders.parse`` (RFC 9112 §5): empty lines are
        skipped, ``obs-fold`` continuation lines are joined with a space.

        Args:
            headers: the header block as ``str`` (bytes decoded as Latin-1).

        Returns:
            A new ``HTTPHeaders``.

        Raises:
            HTTPInputError: on a malformed line (see ``parse_line``).
        """
        h = cls()
        for raw in headers.split("\n"):
            line = raw[:-1] if raw.endswith("\r") else raw
            if line:
                h.parse_line(line)
        return h

    # -- MutableMapping -------------------------------------------------------------

    def __setitem__(self, name: str, value: str) -> None:
        norm = _normalize_name(name)
        self._as_list[norm] = [value]
        self._last_key = norm

    def __getitem__(self, name: str) -> str:
        values = self._as_list[_normalize_name(name)]
        return values[0] if len(values) == 1 else ",".join(values)

    def __delitem__(self, name: str) -> None:
        del self._as_list[_normalize_name(name)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _normalize_name(name) in self._as_list

    def __len__(self) -> int:
        return len(self._as_list)

    def __iter__(self) -> Iterator[str]:
        return iter(self._as_list)

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str) -> str: ...
    @overload
    def get(self, name: str, /, default: Any) -> Any: ...

    def get(self, name: str, /, default: Any = None) -> Any:
        """Return the joined value of ``name``, or ``default`` when absent.

        Args:
            name: header name (any case).
            default: returned when the header is missing.

        Returns:
            ``str`` (values joined with ``","``) or ``default``.
        """
        values = self._as_list.get(_normalize_name(name))
        if values is None:
            return default
        return values[0] if len(values) == 1 else ",".join(values)

    def copy(self) -> HTTPHeaders:
        """Return an independent copy, keeping repeated values.

        Returns:
            A new ``HTTPHeaders``.
        """
        return HTTPHeaders(self)

    __copy__ = copy

    def __deepcopy__(self, memo: dict[int, Any]) -> HTTPHeaders:
        return HTTPHeaders(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HTTPHeaders):
            return self._as_list == other._as_list
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "".join(f"{name}: {value}\n" for name, value in self.get_all())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (list(self.get_all()),))


def _rebuild(pairs: Iterable[tuple[str, str]]) -> HTTPHeaders:
    h = HTTPHeaders()
    for name, value in pairs:
        h.add(name, value)
    return h
