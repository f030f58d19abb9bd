"""Turning "yieldable" objects into futures: ``convert_yielded``, ``moment``, ``multi``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Generator, Iterable, Mapping
from inspect import isawaitable
from typing import Any

from squall.concurrent import future_set_exc_info, future_set_result_unless_cancelled, is_future
from squall.concurrent._futures import _create_future, _current_asyncio_loop
from squall.log import app_log

_Yieldable = Any


class BadYieldError(Exception):
    """Raised when a coroutine yields something that is not a future or a yieldable."""


class _Moment:
    """A completed pseudo-future; yielding it gives the loop one iteration."""

    def result(self) -> None:
        return None

    def done(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False

    def exception(self) -> None:
        return None

    def __await__(self) -> Generator[Any, None, None]:
        return asyncio.sleep(0).__await__()

    def __repr__(self) -> str:
        return "<squall.gen.moment>"


moment: Any = _Moment()
"""Yield (in a :func:`coroutine`) or await this to let the IOLoop run one iteration.

In native coroutines ``await asyncio.sleep(0)`` is equivalent.
"""

_null_future: Any = _Moment()  # "done, no delay": used internally by the coroutine runner


@functools.singledispatch
def convert_yielded(yielded: _Yieldable) -> Any:
    """Convert a yielded object into a future.

    ``None`` and :data:`moment` become :data:`moment`; lists and dicts become
    :func:`multi` futures; futures are returned as is;
    ``concurrent.futures.Future`` is wrapped; other awaitables (coroutines)
    are scheduled as tasks. Register more types with ``convert_yielded.register``
    (a :func:`functools.singledispatch` function, as in Tornado).

    Raises:
        BadYieldError: if ``yielded`` is not yieldable.
    """
    if yielded is None or yielded is moment:
        return moment
    if yielded is _null_future:
        return _null_future
    if isinstance(yielded, list | dict):
        return multi(yielded)
    if isinstance(yielded, asyncio.Future):
        return yielded
    if isinstance(yielded, concurrent.futures.Future):
        return asyncio.wrap_future(yielded, loop=_current_asyncio_loop())
    if isawaitable(yielded):
        return asyncio.ensure_future(yielded, loop=_current_asyncio_loop())
    raise BadYieldError(f"yielded unknown object {yielded!r}")


def multi(
    children: list[_Yieldable] | Mapping[Any, _Yieldable],
    quiet_exceptions: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> asyncio.Future[Any]:
    """Wait for several yieldables in parallel.

    Args:
        children: a list or dict of futures/awaitables (nested lists/dicts allowed).
        quiet_exceptions: exception types not logged when more than one child fails.

    Returns:
        A future resolving to a list (or dict with the same keys) of results,
        in the input order. If any child fails the future fails with the
        first failure; later failures are logged on ``squall.application``
        unless they are instances of ``quiet_exceptions``.
    """
    return multi_future(children, quiet_exceptions=quiet_exceptions)


def multi_future(
    children: list[_Yieldable] | Mapping[Any, _Yieldable],
    quiet_exceptions: type[BaseException] | tuple[type[BaseException], ...] = (),
) -> asyncio.Future[Any]:
    """The implementation of :func:`multi` (kept as a separate name, like Tornado).

    Returns:
        See :func:`multi`.
    """
    keys: list[Any] | None
    if isinstance(children, Mapping):
        keys = list(children.keys())
        values: Iterable[Any] = children.values()
    else:
        keys = None
        values = children
    futures: list[Any] = [convert_yielded(c) for c in values]
    result: asyncio.Future[Any] = _create_future()
    pending = {id(f) for f in futures if not f.done()}
    pending_count = [len(pending)]

    def collect() -> None:
        results: list[Any] = []
        for f in futures:
            try:
                results.append(f.result())
            except Exception as e:
                if result.done():
                    if not isinstance(e, quiet_exceptions):
                        app_log.error("Multiple exceptions in yield list", exc_info=True)
                else:
                    future_set_exc_info(result, (type(e), e, e.__traceback__))
            except asyncio.CancelledError:
                if not result.done():
                    result.cancel()
        if not result.done():
            if keys is not None:
                future_set_result_unless_cancelled(result, dict(zip(keys, results, strict=True)))
            else:
                future_set_result_unless_cancelled(result, results)

    def on_done(_f: Any) -> None:
        pending_count[0] -= 1
        if pending_count[0] == 0:
            collect()

    if pending_count[0] == 0:
        collect()
    else:
        seen: set[int] = set()
        for f in futures:
            if id(f) in pending and id(f) not in seen:
                seen.add(id(f))
                f.add_done_callback(on_done)
    return result


def maybe_future(x: Any) -> asyncio.Future[Any]:
    """Wrap ``x`` in a resolved future unless it already is one (deprecated in Tornado)."""
    if is_future(x):
        return convert_yielded(x)  # type: ignore[no-any-return]
    fut: asyncio.Future[Any] = _create_future()
    fut.set_result(x)
    return fut
