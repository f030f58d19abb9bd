"""One defined option: its metadata, current value, string parsing and type checks."""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Callable
from typing import Any

from squall.options._errors import Error, _ValueParseError
from squall.options._values import parse_bool, parse_datetime, parse_str, parse_timedelta

# Upper bound on the integers one ``lo:hi`` range may expand to, so a hostile
# ``--ports=0:999999999999`` fails fast instead of exhausting memory.
MAX_RANGE_ITEMS = 1_000_000

_UNSET: Any = object()

_CONVERTERS: dict[Any, Callable[[str], Any]] = {
    datetime.datetime: parse_datetime,
    datetime.timedelta: parse_timedelta,
    bool: parse_bool,
    str: parse_str,
}


def _type_name(kind: Any) -> str:
    return str(getattr(kind, "__name__", repr(kind)))


class _Option:
    """A single option registered with an ``OptionParser`` (Tornado's ``_Option``)."""

    def __init__(  # noqa: PLR0917 - Tornado's positional signature
        self,
        name: str,
        default: Any = None,
        type: Any = str,
        help: str | None = None,
        metavar: str | None = None,
        multiple: bool = False,
        file_name: str | None = None,
        group_name: str | None = None,
        callback: Callable[[Any], None] | None = None,
    ) -> None:
        if default is None and multiple:
            default = []
        self.name = name
        if type is None:
            raise ValueError("type must not be None")
        self.type = type
        self.help = help
        self.metavar = metavar
        self.multiple = multiple
        self.file_name = file_name
        self.group_name = group_name
        self.callback = callback
        self.default = default
        self._value: Any = _UNSET

    def value(self) -> Any:
        """The parsed or assigned value, or the default when never set."""
        return self.default if self._value is _UNSET else self._value

    def _convert(self, text: str) -> Any:
        converter = _CONVERTERS.get(self.type, self.type)
        try:
            return converter(text)
        except Error:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            raise _ValueParseError(
                f"Option {self.name!r}: cannot parse {text[:80]!r} as {_type_name(self.type)}: "
                f"{exc}"
            ) from exc

    def _is_integral(self) -> bool:
        return isinstance(self.type, type) and issubclass(self.type, numbers.Integral)

    def parse(self, value: str) -> Any:
        """Set the option from a command-line/config string and return the new value.

        ``multiple`` options split on ``,``; integral ones also expand ``lo:hi``
        into the inclusive range. Runs the option's callback with the new value.

        Raises:
            Error: the string does not parse for the option's type.
        """
        if self.multiple:
            items: list[Any] = []
            for part in value.split(","):
                if self._is_integral():
                    lo_text, _, hi_text = part.partition(":")
                    lo = self._convert(lo_text)
                    hi = self._convert(hi_text) if hi_text else lo
                    if len(items) + (hi - lo + 1) > MAX_RANGE_ITEMS:
                        raise _ValueParseError(
                            f"Option {self.name!r}: range {part[:80]!r} is too large"
                        )
                    items.extend(range(lo, hi + 1))
                else:
                    items.append(self._convert(part))
            self._value = items
        else:
            self._value = self._convert(value)
        if self.callback is not None:
            self.callback(self._value)
        return self.value()

    def _check_item(self, item: Any) -> bool:
        if item is None or not isinstance(self.type, type):
            return True
        return isinstance(item, self.type)

    def set(self, value: Any) -> None:
        """Assign an already-typed value (a list for ``multiple`` options) and run the callback.

        Raises:
            Error: ``value`` (or one of its items) is not an instance of the option's type.
        """
        if self.multiple:
            if not isinstance(value, list) or not all(self._check_item(v) for v in value):
                raise Error(
                    f"Option {self.name!r} is required to be a list of {_type_name(self.type)}"
                )
        elif not self._check_item(value):
            raise Error(
                f"Option {self.name!r} is required to be a {_type_name(self.type)} "
                f"({type(value)} given)"
            )
        self._value = value
        if self.callback is not None:
            self.callback(self._value)
