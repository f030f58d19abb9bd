"""Converters from option strings to typed values (datetime, timedelta, bool, str)."""

from __future__ import annotations

import datetime
import re

from squall.options._errors import _ValueParseError

# Tornado's accepted date/time layouts, tried in this order.
_DATETIME_FORMATS = (
    "%a %b %d %H:%M:%S %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d",
    "%H:%M:%S",
    "%H:%M",
)

# Unit spellings accepted in timedelta strings, mapped to ``timedelta`` keywords.
_TIMEDELTA_UNITS = {
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "d": "days",
    "day": "days",
    "days": "days",
    "h": "hours",
    "hour": "hours",
    "hours": "hours",
    "m": "minutes",
    "min": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "s": "seconds",
    "sec": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "ms": "milliseconds",
    "millisecond": "milliseconds",
    "milliseconds": "milliseconds",
    "us": "microseconds",
    "microsecond": "microseconds",
    "microseconds": "microseconds",
}

# One "<number> <unit>" term; the number is a decimal float with optional exponent.
# Every sub-pattern is linear (no nested quantifiers), so matching is O(n).
_TIMEDELTA_TERM = re.compile(
    r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]*)\s*"
)

_FALSE_STRINGS = frozenset(("false", "0", "f"))


def parse_datetime(value: str) -> datetime.datetime:
    """Parse ``value`` with the first of Tornado's date/time formats that matches.

    Raises:
        Error: (a ``ValueError`` too) when no format matches.
    """
    if len(value) <= 64:
        for fmt in _DATETIME_FORMATS:
            try:
                return datetime.datetime.strptime(value, fmt)
            except ValueError:
                continue
    raise _ValueParseError(f"Unrecognized date/time format: {value[:80]!r}")


def parse_timedelta(value: str) -> datetime.timedelta:
    """Parse Tornado's duration syntax: ``"1h 30m"``, ``"45"`` (seconds), ``"2.5 days"``.

    Terms are ``<float> [unit]`` separated by optional whitespace and summed; a
    term without a unit counts seconds. Units are case-sensitive, as in Tornado.

    Raises:
        Error: (a ``ValueError`` too) for any term that is not a number plus a
            known unit, or a total outside ``timedelta``'s range.
    """
    total = datetime.timedelta()
    pos = 0
    end = len(value)
    if end and not value.strip():
        raise _ValueParseError(f"Invalid timedelta: {value[:80]!r}")
    while pos < end:
        match = _TIMEDELTA_TERM.match(value, pos)
        if match is None or match.end() == pos:
            raise _ValueParseError(f"Invalid timedelta: {value[:80]!r}")
        unit = match.group(2) or "seconds"
        keyword = _TIMEDELTA_UNITS.get(unit)
        if keyword is None:
            raise _ValueParseError(f"Unknown timedelta unit {unit[:40]!r} in {value[:80]!r}")
        try:
            total += datetime.timedelta(**{keyword: float(match.group(1))})
        except (OverflowError, ValueError) as exc:
            raise _ValueParseError(f"Timedelta out of range: {value[:80]!r}") from exc
        pos = match.end()
    return total


def parse_bool(value: str) -> bool:
    """Parse a flag value: ``false``, ``f`` and ``0`` (any case) are False, all else True."""
    return value.lower() not in _FALSE_STRINGS


def parse_str(value: str | bytes) -> str:
    """Return ``value`` as text (``bytes`` decoded as UTF-8, as Tornado's ``_unicode``)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value
