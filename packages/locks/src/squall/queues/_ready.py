"""``Ready``: an awaitable that already holds its value (a cheap stand-in for a done future).

Tornado documents ``Queue.get()`` as returning "an awaitable". When an item is there
already, squall returns a :class:`Ready` holding it instead of a new, resolved
``asyncio.Future``: building and resolving a future (``Future.__init__`` asks the loop
for its debug flag, and the caller must first find the running loop) costs more than
the rest of the ``get``. A ``Ready`` needs no loop at all.

Everything users do with what ``get()`` returns keeps working:

* ``await ready`` (any number of times) gives the value without suspending, like
  awaiting a done future; ``yield from`` in old-style generator coroutines too;
* ``done()``, ``result()``, ``exception()``, ``cancelled()``, ``cancel()``,
  ``add_done_callback()`` and ``remove_done_callback()`` behave like those of a future
  resolved with the value (``cancel()`` returns ``False``: too late), so that
  ``asyncio.wait`` accepts it too;
* :func:`squall.gen.convert_yielded` (so ``yield`` in ``gen.coroutine``,
  ``gen.multi``, ``gen.with_timeout``, ``WaitIterator`` and ``IOLoop.add_future``) turns
  it into a future resolved with the value on the current loop (registered below);
* ``asyncio.ensure_future``/``gather``/``wait_for``/``shield`` accept any awaitable.

What it is not: an ``asyncio.Future`` (``isinstance`` checks, ``asyncio.isfuture`` and
``get_loop()`` need the future ``convert_yielded`` gives).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

from squall.gen import convert_yielded
from squall.locks._waiter import current_loop, resolved

_T = TypeVar("_T")


class Ready(Generic[_T]):
    """An awaitable already resolved with ``value``; see the module docstring.

    Args:
        value: what awaiting it (and :meth:`result`) gives.
    """

    __module__ = "squall.queues"
    __slots__ = ("_value",)

    def __init__(self, value: _T) -> None:
        self._value = value

    def __await__(self) -> Generator[Any, None, _T]:
        return self._value
        yield  # type: ignore[unreachable]  # makes this a generator; it never suspends

    __iter__ = __await__

    def done(self) -> bool:
        """Return ``True``: the value is there."""
        return True

    def cancelled(self) -> bool:
        """Return ``False``: it was never cancelled."""
        return False

    def cancel(self, msg: Any | None = None) -> bool:
        """Do nothing and return ``False``, like ``cancel()`` on a done future."""
        return False

    def result(self) -> _T:
        """Return the value."""
        return self._value

    def exception(self) -> BaseException | None:
        """Return ``None``: a ``Ready`` never holds an exception."""
        return None

    def add_done_callback(
        self, fn: Callable[[Ready[_T]], object], *, context: contextvars.Context | None = None
    ) -> None:
        """Schedule ``fn(self)`` with the running loop's ``call_soon``, as a done future does.

        For code that treats the result as a future (``asyncio.wait`` does).
        """
        current_loop().call_soon(fn, self, context=context)

    def remove_done_callback(self, fn: Callable[[Ready[_T]], object]) -> int:
        """Return ``0``: like a done future's, its callbacks are already scheduled."""
        return 0

    def __repr__(self) -> str:
        return f"<Ready result={self._value!r}>"


@convert_yielded.register(Ready)
def _ready_to_future(ready: Ready[Any]) -> asyncio.Future[Any]:
    # A future already resolved with the value, on the running (or current) loop, so
    # that gen.coroutine's runner and gen.multi continue without waiting.
    return resolved(current_loop(), ready._value)
