"""Time-related coroutine helpers: ``sleep``, ``with_timeout`` and ``WaitIterator``."""

from __future__ import annotations

import asyncio
import collections
import datetime
from collections.abc import Awaitable
from typing import Any

from squall.concurrent import (
    chain_future,
    future_add_done_callback,
    future_set_exc_info,
    future_set_result_unless_cancelled,
)
from squall.concurrent._futures import _create_future
from squall.gen._convert import convert_yielded
from squall.ioloop import IOLoop
from squall.log import app_log
from squall.util import TimeoutError


def sleep(duration: float) -> asyncio.Future[None]:
    """Return a future that resolves with ``None`` after ``duration`` seconds.

    Unlike :func:`time.sleep` this does not block the loop (``await gen.sleep(0.5)``).
    """
    f: asyncio.Future[None] = _create_future()
    io_loop = IOLoop.current()
    assert io_loop is not None
    io_loop.call_later(duration, lambda: future_set_result_unless_cancelled(f, None))
    return f


def with_timeout(
    timeout: float | datetime.timedelta,
    future: Any,
    quiet_exceptions: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> asyncio.Future[Any]:
    """Wrap ``future`` (any yieldable) in a future that fails if it is not done in time.

    Follows ``tornado.gen.with_timeout``: the wrapped operation is *not*
    cancelled on timeout. If it fails after the timeout its exception is
    logged on ``squall.application`` unless it is an instance of
    ``quiet_exceptions`` (cancellation is never logged).

    Args:
        timeout: an absolute deadline on ``IOLoop.time()``'s clock (seconds)
            or a :class:`datetime.timedelta` relative to now.
        future: the future, coroutine or other yieldable.
        quiet_exceptions: exception types not logged after a timeout.

    Returns:
        A future with ``future``'s result.

    Raises:
        squall.util.TimeoutError: (through the returned future) on timeout.
    """
    inner = convert_yielded(future)
    result: asyncio.Future[Any] = _create_future()
    io_loop = IOLoop.current()
    assert io_loop is not None

    def log_late_error(f: Any) -> None:
        if f.cancelled():
            return
        try:
            f.result()
        except asyncio.CancelledError:
            pass
        except Exception as e:
            if not isinstance(e, quiet_exceptions):
                app_log.error("Exception in Future %r after timeout", f, exc_info=True)

    def on_timeout() -> None:
        if not result.done():
            result.set_exception(TimeoutError("Timeout"))
        future_add_done_callback(inner, log_late_error)

    handle = io_loop.add_timeout(timeout, on_timeout)

    def copy(f: Any) -> None:
        io_loop.remove_timeout(handle)
        if result.done():
            return
        if f.cancelled():
            result.cancel()
            return
        exc = f.exception()
        if exc is not None:
            future_set_exc_info(result, (type(exc), exc, exc.__traceback__))
        else:
            future_set_result_unless_cancelled(result, f.result())

    if inner.done():
        copy(inner)
    else:
        inner.add_done_callback(copy)
    return result


class WaitIterator:
    """Yield futures' results in the order they complete (``tornado.gen.WaitIterator``).

    Construct with positional futures or keyword futures (not both). Use as::

        it = WaitIterator(f1, f2)
        while not it.done():
            result = await it.next()   # it.current_index / it.current_future say which

    or ``async for result in it``.

    Raises:
        ValueError: if both positional and keyword arguments are given.
    """

    def __init__(self, *args: Awaitable[Any], **kwargs: Awaitable[Any]) -> None:
        if args and kwargs:
            raise ValueError("You must provide args or kwargs, not both")
        self._unfinished: dict[Any, Any] = {}
        futures: list[tuple[Any, Any]]
        if kwargs:
            futures = [(k, convert_yielded(v)) for k, v in kwargs.items()]
        else:
            futures = [(i, convert_yielded(v)) for i, v in enumerate(args)]
        self._finished: collections.deque[Any] = collections.deque()
        self.current_index: Any = None
        self.current_future: Any = None
        self._running_future: asyncio.Future[Any] | None = None
        for i, (key, given) in enumerate(futures):
            f = given
            if f in self._unfinished:
                # The same future passed twice (e.g. two queue puts that did not wait
                # share one resolved future): give the repeat its own copy so both
                # keys are reported.
                copy: asyncio.Future[Any] = _create_future()
                chain_future(f, copy)
                futures[i] = (key, copy)
                f = copy
            self._unfinished[f] = key
        for _key, f in futures:
            future_add_done_callback(f, self._done_callback)

    def done(self) -> bool:
        """Return true when every future has been returned by :meth:`next`."""
        if self._finished or self._unfinished:
            return False
        self.current_index = self.current_future = None
        return True

    def next(self) -> asyncio.Future[Any]:
        """Return a future for the next input future to complete (its result or exception)."""
        self._running_future = _create_future()
        if self._finished:
            self._return_result(self._finished.popleft())
        return self._running_future

    def _done_callback(self, done: Any) -> None:
        if self._running_future is not None and not self._running_future.done():
            self._return_result(done)
        else:
            self._finished.append(done)

    def _return_result(self, done: Any) -> None:
        assert self._running_future is not None
        if done.cancelled():
            self._running_future.cancel()
        else:
            exc = done.exception()
            if exc is not None:
                future_set_exc_info(self._running_future, (type(exc), exc, exc.__traceback__))
            else:
                future_set_result_unless_cancelled(self._running_future, done.result())
        self.current_future = done
        self.current_index = self._unfinished.pop(done)

    def __aiter__(self) -> WaitIterator:
        return self

    async def __anext__(self) -> Any:
        if self.done():
            raise StopAsyncIteration()
        return await self.next()
