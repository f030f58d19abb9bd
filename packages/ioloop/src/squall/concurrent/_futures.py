"""Helpers for ``asyncio.Future`` and ``concurrent.futures.Future``."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, overload

from squall.log import app_log

_T = TypeVar("_T")

Future = asyncio.Future
FUTURES = (asyncio.Future, concurrent.futures.Future)


def _current_asyncio_loop() -> asyncio.AbstractEventLoop:
    """The running asyncio loop, else the loop of the thread's current IOLoop."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        from squall.ioloop import IOLoop  # noqa: PLC0415 - same layer, breaks the import cycle

        return IOLoop.current().asyncio_loop


def _create_future() -> asyncio.Future[Any]:
    """Create a future on the running loop (or the current IOLoop's loop)."""
    return _current_asyncio_loop().create_future()


class ReturnValueIgnoredError(Exception):
    """Raised when a callback-style function unexpectedly returns a value."""


def is_future(x: Any) -> bool:
    """Return true if ``x`` is an ``asyncio.Future`` or ``concurrent.futures.Future``."""
    return isinstance(x, FUTURES)


def future_set_result_unless_cancelled(
    future: asyncio.Future[_T] | concurrent.futures.Future[_T], value: _T
) -> None:
    """Set ``future``'s result unless it was cancelled (then do nothing).

    Avoids the ``InvalidStateError`` that ``set_result`` raises on a cancelled future.
    """
    if not future.cancelled():
        future.set_result(value)


def future_set_exception_unless_cancelled(
    future: asyncio.Future[Any] | concurrent.futures.Future[Any], exc: BaseException
) -> None:
    """Set ``future``'s exception, or log it on ``app_log`` if ``future`` was cancelled.

    Follows Tornado: the error is never silently lost.
    """
    if not future.cancelled():
        future.set_exception(exc)
    else:
        app_log.error("Exception after Future was cancelled", exc_info=exc)


def future_set_exc_info(
    future: asyncio.Future[Any] | concurrent.futures.Future[Any],
    exc_info: tuple[type[BaseException] | None, BaseException | None, TracebackType | None],
) -> None:
    """Set ``future``'s exception from a ``sys.exc_info()`` triple (unless cancelled).

    Raises:
        TypeError: if ``exc_info`` holds no exception.
    """
    if exc_info[1] is None:
        raise TypeError("future_set_exc_info called with no exception")
    future_set_exception_unless_cancelled(future, exc_info[1])


@overload
def future_add_done_callback(
    future: concurrent.futures.Future[_T],
    callback: Callable[[concurrent.futures.Future[_T]], None],
) -> None: ...
@overload
def future_add_done_callback(
    future: asyncio.Future[_T], callback: Callable[[asyncio.Future[_T]], None]
) -> None: ...
def future_add_done_callback(future: Any, callback: Callable[[Any], None]) -> None:
    """Arrange for ``callback(future)`` to run when ``future`` is done.

    If the future is already done the callback runs immediately (synchronously),
    otherwise it is registered with ``add_done_callback`` (asyncio futures then
    call it on their event loop).
    """
    if future.done():
        callback(future)
    else:
        future.add_done_callback(callback)


def _copy_future_state(
    a: asyncio.Future[Any] | concurrent.futures.Future[Any],
    b: asyncio.Future[Any] | concurrent.futures.Future[Any],
) -> None:
    if b.done():
        return
    if a.cancelled():
        b.cancel()
        return
    exc = a.exception()
    if exc is not None:
        b.set_exception(exc)
    else:
        b.set_result(a.result())


def chain_future(
    a: asyncio.Future[_T] | concurrent.futures.Future[_T],
    b: asyncio.Future[_T] | concurrent.futures.Future[_T],
) -> None:
    """Copy the outcome of ``a`` to ``b`` when ``a`` completes.

    ``b`` is left alone if it is already done by then. A
    ``concurrent.futures.Future`` ``a`` is observed from the current IOLoop's
    thread so that an asyncio ``b`` is resolved on its own loop.
    """
    if isinstance(a, asyncio.Future):
        future_add_done_callback(a, lambda fut: _copy_future_state(fut, b))
    else:
        from squall.ioloop import IOLoop  # noqa: PLC0415 - same layer, breaks the import cycle

        IOLoop.current().add_future(a, lambda fut: _copy_future_state(fut, b))
