"""Small general-purpose helpers shared by every squall layer."""

from __future__ import annotations

import builtins
import datetime
import importlib
import re
from types import CodeType, TracebackType
from typing import Any, NoReturn

TimeoutError = builtins.TimeoutError  # Tornado exposes ``util.TimeoutError``


class ObjectDict(dict[str, Any]):
    """A ``dict`` whose keys can also be read and written as attributes.

    Follows ``tornado.util.ObjectDict``: ``d.key`` is ``d["key"]``; a missing
    key raises :exc:`AttributeError` (not :exc:`KeyError`) on attribute access.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def import_object(name: str) -> Any:
    """Import a module or an object inside a module by its dotted name.

    ``import_object("os.path")`` returns the module, ``import_object("os.path.join")``
    returns the function and ``import_object("os")`` the top-level module.

    Args:
        name: dotted name (``str``).

    Returns:
        The module or attribute.

    Raises:
        ImportError: if no module or attribute of that name exists.
    """
    if "." not in name:
        return importlib.import_module(name)
    module_name, _, attr = name.rpartition(".")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        try:
            return importlib.import_module(name)
        except ImportError:
            raise ImportError(f"No module named {attr}") from None


def exec_in(code: str | CodeType, glob: dict[str, Any], loc: dict[str, Any] | None = None) -> None:
    """Execute ``code`` (source text or a code object) with the given namespaces.

    Args:
        code: Python source (``str``) or a compiled code object.
        glob: globals mapping, updated in place.
        loc: optional locals mapping (defaults to ``glob``).
    """
    if isinstance(code, str):
        code = compile(code, "<string>", "exec", dont_inherit=True)
    exec(code, glob, loc)


def raise_exc_info(
    exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None],
) -> NoReturn:
    """Re-raise the exception described by a ``sys.exc_info()`` triple.

    Args:
        exc_info: ``(type, value, traceback)``; ``value`` must not be ``None``.

    Raises:
        BaseException: always, the exception in ``exc_info`` with its traceback.
        TypeError: if ``exc_info`` holds no exception.
    """
    exc = exc_info[1]
    if exc is None:
        raise TypeError("raise_exc_info called with no exception")
    raise exc.with_traceback(exc_info[2])


def errno_from_exception(e: BaseException) -> int | None:
    """Return the errno carried by an exception, or ``None``.

    Uses ``e.errno`` when present and set, otherwise the first constructor
    argument (how ``socket``/``select`` errors carry it), as Tornado does.

    Args:
        e: the exception.

    Returns:
        The error number or ``None``.
    """
    errno = getattr(e, "errno", None)
    if errno is not None:
        return int(errno)
    if e.args:
        first = e.args[0]
        if isinstance(first, int):
            return first
    return None


def timedelta_to_seconds(td: datetime.timedelta) -> float:
    """Return the length of ``td`` in seconds (``float``)."""
    return td.total_seconds()


_RE_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def re_unescape(s: str) -> str:
    r"""Undo :func:`re.escape`: turn ``\.`` into ``.`` and so on.

    Args:
        s: a regular-expression-escaped string.

    Returns:
        The literal string.

    Raises:
        ValueError: for escapes of ASCII letters or digits (``\d``, ``\1``...),
            which are not literal characters and cannot be unescaped.
    """

    def _replace(match: re.Match[str]) -> str:
        ch = match.group(1)
        if ch.isascii() and ch.isalnum():
            raise ValueError(f"cannot unescape '\\\\{ch}'")
        return ch

    return _RE_UNESCAPE.sub(_replace, s)
