"""``Queue``: coordinate producer and consumer coroutines (``tornado.queues.Queue``)."""

from __future__ import annotations

import asyncio
import collections
from asyncio.events import _get_running_loop
from collections.abc import Awaitable
from typing import Any, ClassVar, Generic, TypeVar

from squall.locks import Event
from squall.locks._waiter import Timeout, Waiter, WaiterList, current_loop, resolved, to_deadline
from squall.queues._errors import QueueEmpty, QueueFull
from squall.queues._ready import Ready
from squall.util import TimeoutError

_T = TypeVar("_T")
# Futures are made directly (not with loop.create_future(), a Python-level call)
# on the fast paths; every asyncio loop, uvloop's included, accepts them.
_Future = asyncio.Future


def _time_out_with_error(waiter: Waiter[Any]) -> None:
    waiter.set_exception(TimeoutError())


class _QueueIterator(Generic[_T]):
    """``async for item in queue``: each step is ``queue.get()``; it never stops."""

    def __init__(self, queue: Queue[_T]) -> None:
        self._queue = queue

    def __anext__(self) -> Awaitable[_T]:
        return self._queue.get()


class Queue(Generic[_T]):
    """A FIFO queue for coroutines, with optional bounded size and task tracking.

    ``put`` waits while the queue is full, ``get`` waits while it is empty; blocked
    producers and consumers are served first come, first served. ``task_done`` and
    ``join`` track completion of the items put. ``async for item in queue`` iterates
    forever. Not thread-safe: use it from its event loop's thread. Follows
    ``tornado.queues.Queue``.

    Subclasses change the ordering by overriding ``_init`` (create ``self._queue``),
    ``_put(item)``, ``_get()`` and ``_unget(item)`` (put an item taken by a consumer that
    was cancelled before it resumed back at the head).

    Args:
        maxsize: the most items the queue holds (``int``); ``0`` means unbounded.

    Raises:
        TypeError: ``maxsize`` is ``None``.
        ValueError: ``maxsize`` is negative.
    """

    __module__ = "squall.queues"

    _queue: Any
    # True when full() is Queue.full over Queue.qsize, i.e. len(_queue) >= maxsize, so
    # the fast path of put() may test that directly (see __init_subclass__).
    _plain_full: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_full = cls.full is Queue.full and cls.qsize is Queue.qsize

    def __init__(self, maxsize: int = 0) -> None:
        if maxsize is None:
            raise TypeError("a queue's maxsize cannot be None")
        if maxsize < 0:
            raise ValueError("a queue's maxsize cannot be negative")
        self._maxsize = maxsize
        self._init()
        self._getters: WaiterList[_T, None] = WaiterList(_time_out_with_error)
        self._putters: WaiterList[None, _T] = WaiterList(_time_out_with_error)
        self._unfinished_tasks = 0
        self._put_done: asyncio.Future[None] | None = None
        self._finished = Event()
        self._finished.set()

    @property
    def maxsize(self) -> int:
        """The most items the queue holds (``0``: unbounded)."""
        return self._maxsize

    def qsize(self) -> int:
        """Return how many items the queue holds."""
        return len(self._queue)

    def empty(self) -> bool:
        """Return ``True`` if the queue holds no item."""
        return not self._queue

    def full(self) -> bool:
        """Return ``True`` if the queue holds ``maxsize`` items (never when unbounded)."""
        if self._maxsize == 0:
            return False
        return self.qsize() >= self._maxsize

    def put(self, item: _T, timeout: Timeout = None) -> asyncio.Future[None]:
        """Put ``item`` in the queue, waiting for room if it is full.

        Args:
            item: the item.
            timeout: ``None`` to wait forever, an absolute deadline in ``IOLoop.time()``
                seconds, or a ``datetime.timedelta`` relative to now. A deadline already
                reached (``0`` included) times out at once unless there is room.

        Returns:
            A future resolving to ``None`` once the item is in the queue (or handed to a
            waiting consumer). Cancelling it withdraws the item if it is still waiting.
            When the item went in at once this is an already-resolved future that may
            be shared with other such puts (a squall optimisation; Tornado makes a new
            one each time).

        Raises:
            squall.util.TimeoutError: (from the future) the deadline passed first; the
                item was not put.
            TypeError: ``timeout`` has an unsupported type.
        """
        maxsize = self._maxsize
        if not self._getters._waiters and (
            # "not self.full()", without its two method calls unless a subclass
            # overrides full() or qsize().
            (not maxsize or len(self._queue) < maxsize) if self._plain_full else not self.full()
        ):
            # Fast path (no consumer waiting, room left): what put_nowait does,
            # without its extra calls; this runs once per item.
            if not self._unfinished_tasks:
                self._finished.clear()
            self._unfinished_tasks += 1
            self._put(item)
            # A put that did not wait returns one shared, already-resolved future
            # per loop instead of a new one: creating a future costs more than the
            # rest of the put. Nothing can change a resolved future, so sharing it
            # is invisible except to identity checks.
            done = self._put_done
            if done is None or not done.get_loop().is_running():
                # The shared future is kept while its loop runs: a queue is used from
                # its loop's thread only (it is not thread-safe), where no other loop
                # can run at the same time. Asking which loop is running costs a
                # getpid() system call per call on CPython 3.11, more than the put.
                loop = _get_running_loop() or current_loop()
                done = self._put_done = _Future(loop=loop)
                done.set_result(None)
            return done
        loop = _get_running_loop() or current_loop()
        try:
            self.put_nowait(item)
        except QueueFull:
            return self._putters.add(loop, item, to_deadline(loop, timeout))
        return resolved(loop, None)

    def put_nowait(self, item: _T) -> None:
        """Put ``item`` in the queue without waiting.

        Raises:
            QueueFull: the queue holds ``maxsize`` items.
        """
        entry = self._getters.pop()
        if entry is not None:
            # A consumer is waiting, so the queue is empty: hand the item over directly.
            self._count_new_task()
            entry[0].fulfil(item)
        elif self.full():
            raise QueueFull
        else:
            self._count_new_task()
            self._put(item)

    def get(self, timeout: Timeout = None) -> asyncio.Future[_T] | Ready[_T]:
        """Remove and return an item, waiting for one if the queue is empty.

        Args:
            timeout: ``None`` to wait forever, an absolute deadline in ``IOLoop.time()``
                seconds, or a ``datetime.timedelta`` relative to now. A deadline already
                reached (``0`` included) times out at once unless an item is ready.

        Returns:
            An awaitable resolving to the item (Tornado: "an awaitable"). When an item
            is ready it is a :class:`squall.queues.Ready` already holding it (cheaper than
            a future; ``await``, ``done()``/``result()``, ``convert_yielded`` and
            ``IOLoop.add_future`` accept it), otherwise a future. Cancelling the future
            (or timing out) takes no item; an item handed to a task cancelled before it
            resumed goes back to the head of the queue (possibly leaving it briefly
            above ``maxsize``).

        Raises:
            squall.util.TimeoutError: (from the future) the deadline passed first.
            TypeError: ``timeout`` has an unsupported type.
        """
        if self._queue and not self._putters._waiters:
            # Fast path (an item is ready, no producer waiting): one call to _get, and no
            # need to look up the running loop.
            return Ready(self._get())
        try:
            item = self.get_nowait()
        except QueueEmpty:
            loop = _get_running_loop() or current_loop()
            return self._getters.add(
                loop, None, to_deadline(loop, timeout), give_back=self._give_back
            )
        return Ready(item)

    def get_nowait(self) -> _T:
        """Remove and return an item without waiting.

        Returns:
            The next item (oldest for ``Queue``).

        Raises:
            QueueEmpty: the queue holds no item.
        """
        entry = self._putters.pop()
        if entry is not None:
            # A producer is waiting, so the queue is full: admit its item, then take one.
            putter, item = entry
            self._count_new_task()
            self._put(item)
            putter.fulfil(None)
            return self._get()
        if self._queue:
            return self._get()
        raise QueueEmpty

    def task_done(self) -> None:
        """Mark one item taken by a consumer as fully processed (for :meth:`join`).

        Raises:
            ValueError: called more times than items were put.
        """
        if self._unfinished_tasks <= 0:
            raise ValueError("task_done() called more times than items were put")
        self._unfinished_tasks -= 1
        if self._unfinished_tasks == 0:
            self._finished.set()

    def join(self, timeout: Timeout = None) -> Awaitable[None]:
        """Wait until every item put has been marked done with :meth:`task_done`.

        Args:
            timeout: as for :meth:`get`.

        Returns:
            A future resolving to ``None`` when no task is unfinished.

        Raises:
            squall.util.TimeoutError: (from the future) the deadline passed first.
        """
        return self._finished.wait(timeout)

    def __aiter__(self) -> _QueueIterator[_T]:
        return _QueueIterator(self)

    def _count_new_task(self) -> None:
        self._unfinished_tasks += 1
        self._finished.clear()

    def _give_back(self, item: _T) -> None:
        entry = self._getters.pop()
        if entry is not None:
            entry[0].fulfil(item)
        else:
            self._unget(item)

    # Storage hooks (Tornado's extension points).

    def _init(self) -> None:
        self._queue = collections.deque()

    def _get(self) -> _T:
        item: _T = self._queue.popleft()
        return item

    def _put(self, item: _T) -> None:
        self._queue.append(item)

    def _unget(self, item: _T) -> None:
        if isinstance(self._queue, collections.deque):
            self._queue.appendleft(item)
        else:
            self._put(item)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {self._format()}>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def _format(self) -> str:
        parts = [f"maxsize={self._maxsize!r}"]
        if self._queue:
            parts.append(f"queue={self._queue!r}")
        getters = len(self._getters.pending())
        if getters:
            parts.append(f"getters[{getters}]")
        putters = len(self._putters.pending())
        if putters:
            parts.append(f"putters[{putters}]")
        if self._unfinished_tasks:
            parts.append(f"tasks={self._unfinished_tasks}")
        return " ".join(parts)
