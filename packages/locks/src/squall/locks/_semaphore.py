"""``Semaphore`` and ``BoundedSemaphore`` (``tornado.locks.Semaphore``/``BoundedSemaphore``)."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol

from squall.locks._waiter import Timeout, Waiter, WaiterList, current_loop, resolved, to_deadline
from squall.util import TimeoutError


class _Releasable(Protocol):
    def release(self) -> None: ...


class _ReleasingContextManager:
    """Result of ``acquire()``: ``with (yield sem.acquire()):`` releases on exit."""

    def __init__(self, obj: _Releasable) -> None:
        self._obj = obj

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._obj.release()


def _time_out_with_error(waiter: Waiter[_ReleasingContextManager]) -> None:
    waiter.set_exception(TimeoutError())


class Semaphore:
    """A counter of permits: :meth:`acquire` takes one (waiting if none is left).

    :meth:`release` returns one, handing it straight to the oldest waiter if any. Use
    ``async with sem:`` (or, in legacy ``gen.coroutine`` code,
    ``with (yield sem.acquire()):``). Follows ``tornado.locks.Semaphore``.

    Args:
        value: initial number of permits (``int`` >= 0).

    Raises:
        ValueError: ``value`` is negative.
    """

    __module__ = "squall.locks"

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("a semaphore's initial value must be >= 0")
        self._value = value
        self._waiters: WaiterList[_ReleasingContextManager, None] = WaiterList(
            _time_out_with_error
        )

    def __repr__(self) -> str:
        base = super().__repr__()
        state = "locked" if self._value == 0 else f"unlocked,value:{self._value}"
        count = len(self._waiters.pending())
        if count:
            state += f",waiters:{count}"
        return f"<{base[1:-1]} [{state}]>"

    def release(self) -> None:
        """Return a permit, waking the oldest waiter (if any) with it."""
        self._value += 1
        entry = self._waiters.pop()
        if entry is not None:
            self._value -= 1
            entry[0].fulfil(_ReleasingContextManager(self))

    def acquire(self, timeout: Timeout = None) -> asyncio.Future[_ReleasingContextManager]:
        """Take a permit, waiting for one if none is free.

        Args:
            timeout: ``None`` to wait forever, an absolute deadline in ``IOLoop.time()``
                seconds, or a ``datetime.timedelta`` relative to now. A deadline already
                reached (``0`` included) times out at once unless a permit is free.

        Returns:
            A future resolving to a context manager whose ``__exit__`` releases the permit.
            Cancelling it (or timing out) gives up the wait without consuming a permit;
            a permit handed to a task cancelled before it resumed is released again.

        Raises:
            squall.util.TimeoutError: (from the future) the deadline passed first.
            TypeError: ``timeout`` has an unsupported type.
        """
        loop = current_loop()
        if self._value > 0:
            self._value -= 1
            return resolved(loop, _ReleasingContextManager(self))
        return self._waiters.add(loop, None, to_deadline(loop, timeout), give_back=self._give_back)

    def _give_back(self, _manager: _ReleasingContextManager) -> None:
        self.release()

    def __enter__(self) -> None:
        raise RuntimeError("use 'async with' (not 'with') with a Semaphore")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__enter__()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class BoundedSemaphore(Semaphore):
    """A :class:`Semaphore` that refuses to be released above its initial value.

    Follows ``tornado.locks.BoundedSemaphore``.

    Args:
        value: initial (and maximum) number of permits (``int`` >= 0).

    Raises:
        ValueError: ``value`` is negative.
    """

    __module__ = "squall.locks"

    def __init__(self, value: int = 1) -> None:
        super().__init__(value=value)
        self._initial_value = value

    def release(self) -> None:
        """Return a permit.

        Raises:
            ValueError: every permit is already free (released too many times).
        """
        if self._value >= self._initial_value:
            raise ValueError("semaphore released more times than it was acquired")
        super().release()
