"""Waiter futures and FIFO waiter lists shared by ``squall.locks`` and ``squall.queues``.

Every blocking call in those modules (``Condition.wait``, ``Semaphore.acquire``,
``Queue.get`` ...) hands back a :class:`Waiter`: an ``asyncio.Future`` subclass that

* removes itself from its :class:`WaiterList` the moment it is cancelled or times out,
  so waiter lists never grow under repeated timeouts or cancellations;
* cancels its deadline timer as soon as it is resolved;
* gives back what it was handed (a queue item, a semaphore permit, a condition
  notification) when the task awaiting it is cancelled after the value was handed over
  but before the task could resume, so a cancelled waiter never loses anything.

Timeouts follow Tornado: ``None`` (wait forever), an absolute deadline in
``IOLoop.time()`` units (the asyncio loop's ``time()``), or a ``datetime.timedelta``
relative to now. Unlike Tornado (which ignores a falsy timeout), a deadline that is
already reached, including ``0`` and ``timedelta(0)``, acts at once.
"""

from __future__ import annotations

import asyncio
import datetime
import math
from collections import OrderedDict
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

from squall.util import timedelta_to_seconds

_T = TypeVar("_T")
_P = TypeVar("_P")

Timeout = float | datetime.timedelta | None
"""A Tornado timeout: absolute ``IOLoop.time()`` deadline, relative ``timedelta`` or ``None``."""


def current_loop() -> asyncio.AbstractEventLoop:
    """Return the running asyncio loop, else the thread's current loop (as ``Future()`` does)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


def to_deadline(loop: asyncio.AbstractEventLoop, timeout: Timeout) -> float | None:
    """Turn a Tornado ``timeout`` into an absolute deadline on ``loop.time()``'s clock.

    Raises:
        TypeError: ``timeout`` is not ``None``, a real number or a ``timedelta``.
        ValueError: ``timeout`` is NaN.
    """
    if timeout is None:
        return None
    if isinstance(timeout, datetime.timedelta):
        return loop.time() + timedelta_to_seconds(timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number, a timedelta or None, not {timeout!r}")
    deadline = float(timeout)
    if math.isnan(deadline):
        raise ValueError("timeout must not be NaN")
    return deadline


def resolved(loop: asyncio.AbstractEventLoop, value: _T) -> asyncio.Future[_T]:
    """Return a new future on ``loop`` already resolved with ``value``."""
    future: asyncio.Future[_T] = loop.create_future()
    future.set_result(value)
    return future


class Waiter(asyncio.Future[_T]):
    """A future waiting in a :class:`WaiterList`; see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._squall_owner: WaiterList[_T, Any] | None = None
        self._squall_timer: asyncio.TimerHandle | None = None
        self._squall_give_back: Callable[[_T], None] | None = None

    def cancel(self, msg: Any | None = None) -> bool:
        """Cancel the wait and leave the waiter list at once (asyncio ``Future.cancel``)."""
        if not super().cancel(msg):
            return False
        self._squall_detach()
        self._squall_give_back = None
        return True

    def __await__(self) -> Generator[Any, None, _T]:
        try:
            result = yield from super().__await__()
        except asyncio.CancelledError:
            # The awaiting task was cancelled. If a value had already been handed to
            # this waiter, the task will never see it: return it to its owner.
            give_back = self._squall_give_back
            self._squall_give_back = None
            if give_back is not None and not self.cancelled() and self.exception() is None:
                give_back(self.result())
            raise
        self._squall_give_back = None
        return result

    __iter__ = __await__

    def _squall_detach(self) -> None:
        timer = self._squall_timer
        if timer is not None:
            self._squall_timer = None
            timer.cancel()
        owner = self._squall_owner
        if owner is not None:
            self._squall_owner = None
            owner.discard(self)

    def fulfil(self, value: _T) -> None:
        """Resolve with ``value`` (the waiter must be pending) and stop its timer."""
        self._squall_detach()
        self.set_result(value)


class WaiterList(Generic[_T, _P]):
    """FIFO of pending :class:`Waiter` s, each with a payload (e.g. the item a putter offers).

    Insertion, removal of any waiter and popping the oldest are all O(1).

    Args:
        on_timeout: what a waiter whose deadline passes resolves to: called with the
            waiter, it must resolve it (``set_result`` or ``set_exception``).
    """

    def __init__(self, on_timeout: Callable[[Waiter[_T]], None]) -> None:
        self._waiters: OrderedDict[Waiter[_T], _P] = OrderedDict()
        self._on_timeout = on_timeout

    def __len__(self) -> int:
        return len(self._waiters)

    def __bool__(self) -> bool:
        return bool(self._waiters)

    def add(
        self,
        loop: asyncio.AbstractEventLoop,
        payload: _P,
        deadline: float | None,
        give_back: Callable[[_T], None] | None = None,
    ) -> Waiter[_T]:
        """Queue a new waiter at the back; a deadline already reached resolves it at once.

        Args:
            loop: the loop the waiter's future belongs to.
            payload: stored with the waiter and returned by :meth:`pop`.
            deadline: absolute ``loop.time()`` deadline, or ``None`` for no timeout.
            give_back: called with the waiter's value if its task is cancelled after the
                value was handed over but before the task resumed.
        """
        waiter: Waiter[_T] = Waiter(loop)
        if deadline is not None and deadline <= loop.time():
            self._on_timeout(waiter)
            return waiter
        waiter._squall_give_back = give_back
        waiter._squall_owner = self
        self._waiters[waiter] = payload
        if deadline is not None and deadline != math.inf:
            waiter._squall_timer = loop.call_at(deadline, self._expire, waiter)
        return waiter

    def _expire(self, waiter: Waiter[_T]) -> None:
        waiter._squall_timer = None
        if waiter.done():
            return
        waiter._squall_detach()
        waiter._squall_give_back = None
        self._on_timeout(waiter)

    def discard(self, waiter: Waiter[_T]) -> None:
        """Remove ``waiter`` if present (no error otherwise)."""
        self._waiters.pop(waiter, None)

    def pop(self) -> tuple[Waiter[_T], _P] | None:
        """Remove and return the oldest pending waiter (skipping any whose loop closed)."""
        while self._waiters:
            waiter, payload = self._waiters.popitem(last=False)
            waiter._squall_owner = None
            # A waiter left behind by a loop that has since closed can never resume.
            if not waiter.done() and not waiter.get_loop().is_closed():
                return waiter, payload
            waiter._squall_detach()
        return None

    def pending(self) -> list[Waiter[_T]]:
        """Return the pending waiters, oldest first (a snapshot)."""
        return [waiter for waiter in self._waiters if not waiter.done()]
