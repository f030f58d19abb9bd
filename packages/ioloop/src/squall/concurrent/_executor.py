"""Executors: ``DummyExecutor`` and the ``run_on_executor`` decorator."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from typing import Any, TypeVar, overload

from squall.concurrent._futures import _create_future, chain_future, future_set_exc_info

_T = TypeVar("_T")


class DummyExecutor(concurrent.futures.Executor):
    """An executor that runs each function synchronously in ``submit``.

    Returns an already-completed ``concurrent.futures.Future``
    (``tornado.concurrent.DummyExecutor``).
    """

    def submit(  # type: ignore[override]
        self, fn: Callable[..., _T], *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[_T]:
        """Call ``fn(*args, **kwargs)`` now and return a done future with its outcome."""
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as e:
            future_set_exc_info(future, (type(e), e, e.__traceback__))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Do nothing: there are no workers to stop."""


dummy_executor = DummyExecutor()


@overload
def run_on_executor(fn: Callable[..., _T], /) -> Callable[..., asyncio.Future[_T]]: ...
@overload
def run_on_executor(
    *, executor: str = ...
) -> Callable[[Callable[..., _T]], Callable[..., asyncio.Future[_T]]]: ...
def run_on_executor(*args: Any, **kwargs: Any) -> Any:
    """Decorate a method so that calling it runs it on an executor and returns a Future.

    Usable bare (``@run_on_executor``, uses ``self.executor``) or as
    ``@run_on_executor(executor="_thread_pool")`` to name the attribute that
    holds the executor. The returned future is an ``asyncio.Future`` of the
    current event loop, so it can be awaited (Tornado 5+ behaviour).

    Raises:
        ValueError: if called with anything but one function or an ``executor=`` keyword.
    """

    def make_wrapper(fn: Callable[..., Any]) -> Callable[..., asyncio.Future[Any]]:
        executor_attr = kwargs.get("executor", "executor")

        @functools.wraps(fn)
        def wrapper(self: Any, *call_args: Any, **call_kwargs: Any) -> asyncio.Future[Any]:
            async_future: asyncio.Future[Any] = _create_future()
            conc_future = getattr(self, executor_attr).submit(fn, self, *call_args, **call_kwargs)
            chain_future(conc_future, async_future)
            return async_future

        return wrapper

    if args and kwargs:
        raise ValueError("cannot combine positional and keyword args")
    if len(args) == 1:
        return make_wrapper(args[0])
    if len(args) != 0:
        raise ValueError(f"expected 1 argument, got {len(args)}")
    return make_wrapper
