"""Byte/str conversion and whitespace helpers."""

from __future__ import annotations

import re
from typing import Any, overload

_UNICODE_TYPES = (str, type(None))
_BYTES_TYPES = (bytes, type(None))


@overload
def utf8(value: bytes | str) -> bytes: ...
@overload
def utf8(value: None) -> None: ...
def utf8(value: bytes | str | None) -> bytes | None:
    """Encode ``value`` as UTF-8 bytes (``bytes`` and ``None`` pass through).

    Raises:
        TypeError: for any other type.
    """
    if isinstance(value, _BYTES_TYPES):
        return value
    if not isinstance(value, str):
        raise TypeError(f"Expected bytes, unicode, or None; got {type(value)!r}")
    return value.encode("utf-8")


@overload
def to_unicode(value: bytes | str) -> str: ...
@overload
def to_unicode(value: None) -> None: ...
def to_unicode(value: bytes | str | None) -> str | None:
    """Decode UTF-8 ``bytes`` to ``str`` (``str`` and ``None`` pass through).

    Raises:
        TypeError: for any other type.
        UnicodeDecodeError: if the bytes are not valid UTF-8.
    """
    if isinstance(value, _UNICODE_TYPES):
        return value
    if not isinstance(value, bytes):
        raise TypeError(f"Expected bytes, unicode, or None; got {type(value)!r}")
    return value.decode("utf-8")


native_str = to_unicode
to_basestring = to_unicode


def recursive_unicode(obj: Any) -> Any:
    """Return ``obj`` with every ``bytes`` inside dicts, lists and tuples decoded as UTF-8.

    Args:
        obj: a (possibly nested) structure of dicts, lists, tuples, bytes and others.
    """
    if isinstance(obj, dict):
        return {recursive_unicode(k): recursive_unicode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [recursive_unicode(i) for i in obj]
    if isinstance(obj, tuple):
        return tuple(recursive_unicode(i) for i in obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8")
    return obj


_WHITESPACE_RUN = re.compile(r"[\x00-\x20]+")


def squeeze(value: str) -> str:
    """Collapse each run of characters U+0000-U+0020 to one space, then strip the ends."""
    return _WHITESPACE_RUN.sub(" ", value).strip()
