"""Coroutine utilities (Tornado's ``tornado.gen``).

Native ``async def`` coroutines are the norm; this module adds the legacy
generator-based :func:`coroutine` decorator and helpers that work with both:
:func:`sleep`, :func:`multi`, :func:`with_timeout`, :class:`WaitIterator`,
:func:`convert_yielded` and :data:`moment`.
"""

from squall.gen._convert import (
    BadYieldError,
    convert_yielded,
    maybe_future,
    moment,
    multi,
    multi_future,
)
from squall.gen._coroutine import Return, coroutine, is_coroutine_function
from squall.gen._timing import WaitIterator, sleep, with_timeout
from squall.util import TimeoutError

__all__ = [
    "BadYieldError",
    "Return",
    "TimeoutError",
    "WaitIterator",
    "convert_yielded",
    "coroutine",
    "is_coroutine_function",
    "maybe_future",
    "moment",
    "multi",
    "multi_future",
    "sleep",
    "with_timeout",
]
