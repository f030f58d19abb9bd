"""Hypothesis state machines comparing Queue, PriorityQueue and LifoQueue with a plain model.

The event loop runs on a clock that only moves when a rule says so, and every rule
drains the loop before returning, so timeouts and cancellations are deterministic.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import datetime
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from squall.queues import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull
from squall.util import TimeoutError as SquallTimeoutError

Item = tuple[int, int]


class _ClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock moves only when the test advances it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def time(self) -> float:
        return self.now


TIMEOUTS = st.sampled_from([None, "past", "zero", 1, 2, 3, "td1", "td2"])


def _timeout(now: float, kind: object) -> tuple[float | datetime.timedelta | None, float | None]:
    """Return (argument to pass, model deadline)."""
    if kind is None:
        return None, None
    if kind == "past":
        return now - 1.0, now
    if kind == "zero":
        return 0, now
    if isinstance(kind, str):
        seconds = float(kind[2:])
        return datetime.timedelta(seconds=seconds), now + seconds
    assert isinstance(kind, int)
    return now + kind, now + kind


@dataclass
class _Blocked:
    tid: int
    kind: str  # "get", "put" or "join"
    deadline: float | None
    item: Item | None = None


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = _ClockLoop()
        self.tasks: dict[int, asyncio.Task[Any]] = {}
        self.expected: dict[int, object] = {}
        self.blocked: list[_Blocked] = []
        self.store: list[Item] = []  # model contents, in get order (head first)
        self.unfinished = 0
        self.seq = 0
        self.kind = "fifo"
        self.maxsize = 0
        self.q: Queue[Item] = Queue()

    @initialize(kind=st.sampled_from(["fifo", "lifo", "priority"]), maxsize=st.integers(0, 3))
    def setup(self, kind: str, maxsize: int) -> None:
        self.kind = kind
        self.maxsize = maxsize
        cls = {"fifo": Queue, "lifo": LifoQueue, "priority": PriorityQueue}[kind]
        self.q = cls(maxsize=maxsize)

    def teardown(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        self.drain()
        for task in self.tasks.values():
            if not task.cancelled():
                task.exception()
        self.loop.close()

    # -- loop driving ------------------------------------------------------------------

    def drain(self) -> None:
        for _ in range(10):
            self.loop.call_soon(self.loop.stop)
            self.loop.run_forever()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> int:
        self.seq += 1
        self.tasks[self.seq] = self.loop.create_task(coro)
        return self.seq

    def new_item(self, prio: int) -> Item:
        self.seq += 1
        return (prio, self.seq)

    # -- model -------------------------------------------------------------------------

    def model_full(self) -> bool:
        return self.maxsize > 0 and len(self.store) >= self.maxsize

    def model_push(self, item: Item) -> None:
        if self.kind == "priority":
            bisect.insort(self.store, item)
        elif self.kind == "lifo":
            self.store.insert(0, item)
        else:
            self.store.append(item)

    def model_unget(self, item: Item) -> None:
        if self.kind == "priority":
            bisect.insort(self.store, item)
        else:
            self.store.insert(0, item)

    def first_blocked(self, kind: str) -> _Blocked | None:
        return next((b for b in self.blocked if b.kind == kind), None)

    def model_count_new(self) -> None:
        self.unfinished += 1

    def model_task_done(self) -> None:
        self.unfinished -= 1
        if self.unfinished == 0:
            for b in [b for b in self.blocked if b.kind == "join"]:
                self.blocked.remove(b)
                self.expected[b.tid] = "ok"

    def model_put(self, item: Item) -> bool:
        """Apply a put; return False if it must wait (queue full)."""
        getter = self.first_blocked("get")
        if getter is not None:
            self.blocked.remove(getter)
            self.model_count_new()
            self.expected[getter.tid] = ("item", item)
            return True
        if self.model_full():
            return False
        self.model_count_new()
        self.model_push(item)
        return True

    def model_get(self) -> Item | None:
        putter = self.first_blocked("put")
        if putter is not None:
            assert putter.item is not None
            self.blocked.remove(putter)
            self.model_count_new()
            self.model_push(putter.item)
            self.expected[putter.tid] = "ok"
        if self.store:
            return self.store.pop(0)
        return None

    def model_give_back(self, item: Item) -> None:
        getter = self.first_blocked("get")
        if getter is not None:
            self.blocked.remove(getter)
            self.expected[getter.tid] = ("item", item)
        else:
            self.model_unget(item)

    # -- rules -------------------------------------------------------------------------

    @rule(prio=st.integers(0, 3))
    def put_nowait(self, prio: int) -> None:
        item = self.new_item(prio)
        getter = self.first_blocked("get")
        full = getter is None and self.model_full()
        if full:
            try:
                self.q.put_nowait(item)
            except QueueFull:
                pass
            else:
                raise AssertionError("put_nowait on a full queue did not raise QueueFull")
        else:
            self.q.put_nowait(item)
            assert self.model_put(item)
        self.drain()

    @rule()
    def get_nowait(self) -> None:
        expected = self.model_get()
        if expected is None:
            try:
                self.q.get_nowait()
            except QueueEmpty:
                pass
            else:
                raise AssertionError("get_nowait on an empty queue did not raise QueueEmpty")
        else:
            assert self.q.get_nowait() == expected
        self.drain()

    @rule(prio=st.integers(0, 3), timeout=TIMEOUTS)
    def put(self, prio: int, timeout: object) -> None:
        item = self.new_item(prio)
        arg, deadline = _timeout(self.loop.now, timeout)

        async def do_put() -> None:
            await self.q.put(item, arg)

        tid = self.spawn(do_put())
        if self.model_put(item):
            self.expected[tid] = "ok"
        elif deadline is not None and deadline <= self.loop.now:
            self.expected[tid] = "timeout"
        else:
            self.blocked.append(_Blocked(tid, "put", deadline, item))
        self.drain()

    @rule(timeout=TIMEOUTS)
    def get(self, timeout: object) -> None:
        arg, deadline = _timeout(self.loop.now, timeout)

        async def do_get() -> Item:
            return await self.q.get(arg)

        tid = self.spawn(do_get())
        item = self.model_get()
        if item is not None:
            self.expected[tid] = ("item", item)
        elif deadline is not None and deadline <= self.loop.now:
            self.expected[tid] = "timeout"
        else:
            self.blocked.append(_Blocked(tid, "get", deadline))
        self.drain()

    @rule(timeout=TIMEOUTS)
    def join(self, timeout: object) -> None:
        arg, deadline = _timeout(self.loop.now, timeout)

        async def do_join() -> None:
            await self.q.join(arg)

        tid = self.spawn(do_join())
        if self.unfinished == 0:
            self.expected[tid] = "ok"
        elif deadline is not None and deadline <= self.loop.now:
            self.expected[tid] = "timeout"
        else:
            self.blocked.append(_Blocked(tid, "join", deadline))
        self.drain()

    @rule()
    def task_done(self) -> None:
        if self.unfinished == 0:
            try:
                self.q.task_done()
            except ValueError:
                pass
            else:
                raise AssertionError("task_done() with nothing unfinished did not raise")
        else:
            self.q.task_done()
            self.model_task_done()
        self.drain()

    @precondition(lambda self: self.blocked)
    @rule(data=st.data())
    def cancel_waiter(self, data: st.DataObject) -> None:
        victim = data.draw(st.sampled_from(self.blocked))
        self.blocked.remove(victim)
        self.tasks[victim.tid].cancel()
        self.expected[victim.tid] = "cancelled"
        self.drain()

    @precondition(lambda self: any(b.kind == "get" for b in self.blocked))
    @rule(prio=st.integers(0, 3))
    def put_then_cancel_receiver(self, prio: int) -> None:
        """The consumer handed the item is cancelled before it runs: the item survives."""
        item = self.new_item(prio)
        receiver = self.first_blocked("get")
        assert receiver is not None
        self.q.put_nowait(item)
        self.tasks[receiver.tid].cancel()
        self.blocked.remove(receiver)
        self.model_count_new()
        self.expected[receiver.tid] = "cancelled"
        self.model_give_back(item)
        self.drain()

    @precondition(lambda self: any(b.kind == "put" for b in self.blocked))
    @rule()
    def get_then_cancel_putter(self) -> None:
        """A producer whose item was admitted is cancelled before it runs: the item stays."""
        putter = self.first_blocked("put")
        assert putter is not None
        expected = self.model_get()
        self.expected[putter.tid] = "cancelled"
        assert self.q.get_nowait() == expected
        self.tasks[putter.tid].cancel()
        self.drain()

    @rule(dt=st.sampled_from([0.5, 1.0, 2.0]))
    def advance(self, dt: float) -> None:
        self.loop.now += dt
        for b in list(self.blocked):
            if b.deadline is not None and b.deadline <= self.loop.now:
                self.blocked.remove(b)
                self.expected[b.tid] = "timeout"
        self.drain()

    # -- checks ------------------------------------------------------------------------

    @invariant()
    def outcomes_match(self) -> None:
        waiting = {b.tid for b in self.blocked}
        for tid, task in list(self.tasks.items()):
            if not task.done():
                assert tid in waiting, f"task {tid} should have finished: {self.expected.get(tid)}"
                continue
            assert tid not in waiting, f"task {tid} finished but should still wait"
            if task.cancelled():
                outcome: object = "cancelled"
            elif isinstance(task.exception(), SquallTimeoutError):
                outcome = "timeout"
            elif task.exception() is not None:
                raise AssertionError(f"task {tid} failed") from task.exception()
            elif task.result() is None:
                outcome = "ok"
            else:
                outcome = ("item", task.result())
            assert outcome == self.expected.pop(tid), tid
            del self.tasks[tid]

    @invariant()
    def contents_match(self) -> None:
        assert self.q.qsize() == len(self.store)
        assert self.q.empty() == (not self.store)
        assert self.q.full() == self.model_full()
        raw = list(self.q._queue)
        if self.kind == "priority":
            assert sorted(raw) == self.store
        elif self.kind == "lifo":
            assert raw[::-1] == self.store
        else:
            assert raw == self.store
        assert self.q._unfinished_tasks == self.unfinished

    @invariant()
    def no_waiter_leaks(self) -> None:
        counts = collections.Counter(b.kind for b in self.blocked)
        assert len(self.q._getters) == counts["get"]
        assert len(self.q._putters) == counts["put"]
        assert len(self.q._finished._waiters) == counts["join"]


QueueMachine.TestCase.settings = settings(
    max_examples=min(settings().max_examples, 100), stateful_step_count=30
)
TestQueueMachine = QueueMachine.TestCase
