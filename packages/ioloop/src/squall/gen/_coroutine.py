"""The legacy generator-based ``@coroutine`` decorator and its runner."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import types
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from squall.concurrent import (
    future_set_exc_info,
    future_set_result_unless_cancelled,
)
from squall.concurrent._futures import _create_future
from squall.gen._convert import BadYieldError, _null_future, convert_yielded, moment
from squall.ioloop import IOLoop

_T = TypeVar("_T")


class Return(Exception):  # noqa: N818 - Tornado's public name
    """Raise ``Return(value)`` to return ``value`` from a generator :func:`coroutine`.

    A plain ``return value`` works too on Python 3; this exists for Tornado-era code.

    Args:
        value: the coroutine's result.
    """

    def __init__(self, value: Any = None) -> None:
        super().__init__()
        self.value = value
        self.args = (value,)


def _value_from_stopiteration(e: StopIteration | Return) -> Any:
    return e.value


class _Runner:
    """Drives a generator: sends it the results of the futures it yields."""

    def __init__(
        self,
        ctx_run: Callable[..., Any],
        gen: Generator[Any, Any, Any],
        result_future: asyncio.Future[Any],
        first_yielded: Any,
    ) -> None:
        self.ctx_run = ctx_run
        self.gen = gen
        self.result_future = result_future
        self.future: Any = _null_future
        self.running = False
        self.finished = False
        self.io_loop = IOLoop.current()
        if self._handle_yield(first_yielded):
            self.ctx_run(self.run)

    def run(self) -> None:
        """Resume the generator until it yields an unfinished future or ends."""
        if self.running or self.finished:
            return
        try:
            self.running = True
            while True:
                future = self.future
                if future is None:
                    raise RuntimeError("No pending future")
                if not future.done():
                    return
                self.future = None
                try:
                    try:
                        value = future.result()
                    except BaseException as e:
                        yielded = self.gen.throw(e)
                    else:
                        yielded = self.gen.send(value)
                except (StopIteration, Return) as e:
                    self.finished = True
                    self.future = _null_future
                    future_set_result_unless_cancelled(
                        self.result_future, _value_from_stopiteration(e)
                    )
                    self.result_future = None  # type: ignore[assignment]
                    return
                except Exception as e:
                    self.finished = True
                    self.future = _null_future
                    future_set_exc_info(self.result_future, (type(e), e, e.__traceback__))
                    self.result_future = None  # type: ignore[assignment]
                    return
                except asyncio.CancelledError:
                    self.finished = True
                    self.future = _null_future
                    self.result_future.cancel()
                    self.result_future = None  # type: ignore[assignment]
                    return
                if not self._handle_yield(yielded):
                    return
        finally:
            self.running = False

    def _handle_yield(self, yielded: Any) -> bool:
        try:
            self.future = convert_yielded(yielded)
        except BadYieldError as e:
            failed: asyncio.Future[Any] = _create_future()
            future_set_exc_info(failed, (type(e), e, e.__traceback__))
            self.future = failed
        if self.future is moment:
            assert self.io_loop is not None
            self.io_loop.add_callback(self.ctx_run, self.run)
            self.future = _null_future
            return False
        if not self.future.done():

            def resume(_f: Any) -> None:
                self.ctx_run(self.run)

            assert self.io_loop is not None
            self.io_loop.add_future(self.future, resume)
            return False
        return True


def _keep_alive(future: asyncio.Future[Any], runner: _Runner) -> None:
    def hold(_f: asyncio.Future[Any]) -> None:
        del runner.gen  # break the reference once the coroutine is done

    future.add_done_callback(hold)


def coroutine(func: Callable[..., Any]) -> Callable[..., asyncio.Future[Any]]:
    """Decorator for generator-based coroutines (Tornado's ``gen.coroutine``).

    The decorated function returns an ``asyncio.Future``. If it is a
    generator function, the generator runs (synchronously, up to its first
    unfinished yield) and each yielded future, awaitable, list/dict of them,
    ``None`` or :data:`moment` is resolved and its result sent back in; the
    final ``return``/:class:`Return` value resolves the future. Exceptions
    propagate into the future. Each call runs in a copy of the current
    :mod:`contextvars` context. New code should use ``async def``.

    Args:
        func: a generator function or a regular function.

    Returns:
        The wrapper; calling it returns a Future (it must be called with an
        event loop running).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = _create_future()
        ctx_run = contextvars.copy_context().run
        try:
            result = ctx_run(func, *args, **kwargs)
        except (Return, StopIteration) as e:
            result = _value_from_stopiteration(e)
        except Exception as e:
            future_set_exc_info(future, (type(e), e, e.__traceback__))
            return future
        else:
            if isinstance(result, types.GeneratorType):
                try:
                    yielded = ctx_run(next, result)
                except (StopIteration, Return) as e:
                    future_set_result_unless_cancelled(future, _value_from_stopiteration(e))
                except Exception as e:
                    future_set_exc_info(future, (type(e), e, e.__traceback__))
                else:
                    runner = _Runner(ctx_run, result, future, yielded)
                    # Keep the runner alive as long as the future is pending.
                    _keep_alive(future, runner)
                return future
        future_set_result_unless_cancelled(future, result)
        return future

    wrapper.__tornado_coroutine__ = True  # type: ignore[attr-defined]
    return wrapper


def is_coroutine_function(func: Any) -> bool:
    """Return true if ``func`` is a :func:`coroutine`-decorated or ``async def`` function."""
    return bool(getattr(func, "__tornado_coroutine__", False)) or inspect.iscoroutinefunction(func)
