"""``ArgReplacer``: find and swap one named argument in a call's ``args``/``kwargs``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any


class ArgReplacer:
    """Locate and replace the argument ``name`` of ``func`` in a call.

    Follows ``tornado.util.ArgReplacer``: the argument may be passed
    positionally (its index comes from ``func``'s signature) or by keyword.

    Args:
        func: the function whose calls will be inspected.
        name: the parameter name.
    """

    def __init__(self, func: Callable[..., Any], name: str) -> None:
        self.name = name
        self.arg_pos: int | None
        try:
            params = list(inspect.signature(func).parameters.values())
        except (TypeError, ValueError):
            params = []
        positional = [
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self.arg_pos = positional.index(name) if name in positional else None

    def get_old_value(
        self, args: Sequence[Any], kwargs: dict[str, Any], default: Any = None
    ) -> Any:
        """Return the argument's value in this call, or ``default`` if it was not passed.

        Args:
            args: positional arguments of the call.
            kwargs: keyword arguments of the call.
            default: value returned when the argument is absent.
        """
        if self.arg_pos is not None and len(args) > self.arg_pos:
            return args[self.arg_pos]
        return kwargs.get(self.name, default)

    def replace(
        self, new_value: Any, args: Sequence[Any], kwargs: dict[str, Any]
    ) -> tuple[Any, Sequence[Any], dict[str, Any]]:
        """Replace the argument with ``new_value``.

        Args:
            new_value: the replacement value.
            args: positional arguments of the call (not mutated).
            kwargs: keyword arguments of the call (updated in place when the
                argument is passed by keyword or absent, as Tornado does).

        Returns:
            ``(old_value, args, kwargs)``; ``old_value`` is ``None`` if absent.
        """
        if self.arg_pos is not None and len(args) > self.arg_pos:
            old_value = args[self.arg_pos]
            new_args = list(args)
            new_args[self.arg_pos] = new_value
            return old_value, new_args, kwargs
        old_value = kwargs.get(self.name)
        kwargs[self.name] = new_value
        return old_value, args, kwargs
