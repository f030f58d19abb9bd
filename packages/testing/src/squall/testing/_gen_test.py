"""gen_test: run a coroutine (or legacy generator) test method on the test's IOLoop."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar, overload

from squall import gen
from squall.testing._ports import get_async_test_timeout
from squall.util import TimeoutError

_Self = TypeVar("_Self")
_TestMethod = Callable[..., Coroutine[Any, Any, None] | Generator[Any, Any, None] | None]


@overload
def gen_test(*, timeout: float | None = None) -> Callable[[_TestMethod], Callable[..., None]]: ...


@overload
def gen_test(func: _TestMethod) -> Callable[..., None]: ...


def gen_test(
    func: _TestMethod | None = None, timeout: float | None = None
) -> Callable[..., None] | Callable[[_TestMethod], Callable[..., None]]:
    """Decorate an asynchronous test method of an :class:`AsyncTestCase`.

    Tornado's ``tornado.testing.gen_test``: the decorated method (an ``async
    def``, or a legacy generator using ``yield`` as with
    :func:`squall.gen.coroutine`) runs to completion on ``self.io_loop`` with
    :meth:`IOLoop.run_sync <squall.ioloop.IOLoop.run_sync>`. Usable bare
    (``@gen_test``) or with arguments (``@gen_test(timeout=10)``).

    Args:
        func: the test method (when used bare).
        timeout: seconds the test may take; default :func:`get_async_test_timeout`
            (the ``ASYNC_TEST_TIMEOUT`` environment variable, else 5), read when
            the test runs.

    Returns:
        The wrapped (synchronous) test method, or a decorator when ``func`` is
        not given.

    Raises:
        squall.util.TimeoutError: (from the wrapped method) the test did not
            finish within ``timeout``; the coroutine is cancelled first, so its
            traceback shows where it was waiting.
    """

    def wrap(f: _TestMethod) -> Callable[..., None]:
        coro: Callable[..., Any] = gen.coroutine(f) if inspect.isgeneratorfunction(f) else f

        @functools.wraps(f)
        def post_coroutine(self: Any, *args: Any, **kwargs: Any) -> None:
            limit = timeout if timeout is not None else get_async_test_timeout()
            try:
                self.io_loop.run_sync(
                    functools.partial(coro, self, *args, **kwargs), timeout=limit
                )
            except TimeoutError as exc:
                raise TimeoutError(f"Async test timed out after {limit} seconds") from exc

        return post_coroutine

    if func is not None:
        return wrap(func)
    return wrap
