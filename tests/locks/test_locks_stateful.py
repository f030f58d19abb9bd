"""Hypothesis state machines comparing Semaphore, BoundedSemaphore, Lock and Condition
with plain models, including timeouts and cancellation.

The event loop runs on a clock that only moves when a rule says so, and every rule
drains the loop before returning, so timeouts and cancellations are deterministic.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from squall.locks import BoundedSemaphore, Condition, Lock, Semaphore
from squall.util import TimeoutError as SquallTimeoutError


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
    deadline: float | None


class _LoopMachine(RuleBasedStateMachine):
    """Shared driving: a fake-clock loop, spawned tasks, and their expected outcomes."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = _ClockLoop()
        self.tasks: dict[int, asyncio.Task[Any]] = {}
        self.expected: dict[int, object] = {}
        self.blocked: list[_Blocked] = []
        self.seq = 0

    def teardown(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        self.drain()
        for task in self.tasks.values():
            if not task.cancelled():
                task.exception()
        self.loop.close()

    def drain(self) -> None:
        for _ in range(10):
            self.loop.call_soon(self.loop.stop)
            self.loop.run_forever()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> int:
        self.seq += 1
        self.tasks[self.seq] = self.loop.create_task(coro)
        return self.seq

    def start_waiter(self, coro: Coroutine[Any, Any, Any], deadline: float | None) -> int:
        """Spawn a task that must block (unless its deadline has already passed)."""
        tid = self.spawn(coro)
        if deadline is not None and deadline <= self.loop.now:
            self.expected[tid] = "timeout"
        else:
            self.blocked.append(_Blocked(tid, deadline))
        return tid

    def classify(self, task: asyncio.Task[Any]) -> object:
        if task.cancelled():
            return "cancelled"
        exc = task.exception()
        if isinstance(exc, SquallTimeoutError):
            return "timeout"
        if exc is not None:
            raise AssertionError("task failed") from exc
        return task.result()

    def timeout_outcome(self) -> object:
        return "timeout"

    @rule(dt=st.sampled_from([0.5, 1.0, 2.0]))
    def advance(self, dt: float) -> None:
        self.loop.now += dt
        for b in list(self.blocked):
            if b.deadline is not None and b.deadline <= self.loop.now:
                self.blocked.remove(b)
                self.expected[b.tid] = self.timeout_outcome()
        self.drain()

    @precondition(lambda self: self.blocked)
    @rule(data=st.data())
    def cancel_waiter(self, data: st.DataObject) -> None:
        victim = data.draw(st.sampled_from(self.blocked))
        self.blocked.remove(victim)
        self.tasks[victim.tid].cancel()
        self.expected[victim.tid] = "cancelled"
        self.drain()

    @invariant()
    def outcomes_match(self) -> None:
        waiting = {b.tid for b in self.blocked}
        for tid, task in list(self.tasks.items()):
            if not task.done():
                assert tid in waiting, f"task {tid} should have finished: {self.expected.get(tid)}"
                continue
            assert tid not in waiting, f"task {tid} finished but should still wait"
            assert self.classify(task) == self.expected.pop(tid), tid
            del self.tasks[tid]


class SemaphoreMachine(_LoopMachine):
    """Semaphore, BoundedSemaphore and Lock against a counter-and-FIFO model."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = "semaphore"
        self.initial = 1
        self.value = 1
        self.sem: Semaphore | Lock = Semaphore(1)

    @initialize(kind=st.sampled_from(["semaphore", "bounded", "lock"]), initial=st.integers(0, 3))
    def setup(self, kind: str, initial: int) -> None:
        self.kind = kind
        if kind == "lock":
            initial = 1
        self.initial = self.value = initial
        if kind == "semaphore":
            self.sem = Semaphore(initial)
        elif kind == "bounded":
            self.sem = BoundedSemaphore(initial)
        else:
            self.sem = Lock()

    def real_value(self) -> int:
        sem = self.sem._block if isinstance(self.sem, Lock) else self.sem
        return sem._value

    def real_waiters(self) -> int:
        sem = self.sem._block if isinstance(self.sem, Lock) else self.sem
        return len(sem._waiters)

    def model_release(self) -> None:
        if self.blocked:
            self.expected[self.blocked.pop(0).tid] = "acquired"
        else:
            self.value += 1

    def classify(self, task: asyncio.Task[Any]) -> object:
        outcome = super().classify(task)
        if outcome not in ("cancelled", "timeout"):
            assert outcome is not None and hasattr(outcome, "__exit__")
            return "acquired"
        return outcome

    @rule(timeout=TIMEOUTS)
    def acquire(self, timeout: object) -> None:
        arg, deadline = _timeout(self.loop.now, timeout)

        async def do_acquire() -> object:
            return await self.sem.acquire(arg)

        if self.value > 0:
            self.value -= 1
            self.expected[self.spawn(do_acquire())] = "acquired"
        else:
            self.start_waiter(do_acquire(), deadline)
        self.drain()

    @rule()
    def release(self) -> None:
        over = self.kind != "semaphore" and self.value >= self.initial
        if over:
            error = RuntimeError if self.kind == "lock" else ValueError
            try:
                self.sem.release()
            except error:
                pass
            else:
                raise AssertionError("over-release did not raise")
        else:
            self.sem.release()
            self.model_release()
        self.drain()

    @precondition(
        lambda self: self.blocked and (self.kind == "semaphore" or self.value < self.initial)
    )
    @rule()
    def release_then_cancel_receiver(self) -> None:
        """The waiter handed the permit is cancelled before it runs: the permit survives."""
        receiver = self.blocked.pop(0)
        self.sem.release()
        self.tasks[receiver.tid].cancel()
        self.expected[receiver.tid] = "cancelled"
        self.model_release()
        self.drain()

    @invariant()
    def state_matches(self) -> None:
        assert self.real_value() == self.value
        assert self.real_waiters() == len(self.blocked)


class ConditionMachine(_LoopMachine):
    """Condition against a FIFO-of-waiters model."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = Condition()

    def timeout_outcome(self) -> object:
        return False

    def classify(self, task: asyncio.Task[Any]) -> object:
        outcome = super().classify(task)
        assert outcome in (True, False, "cancelled")
        return outcome

    def model_notify(self, n: int) -> None:
        for _ in range(min(n, len(self.blocked))):
            self.expected[self.blocked.pop(0).tid] = True

    @rule(timeout=TIMEOUTS)
    def wait(self, timeout: object) -> None:
        arg, deadline = _timeout(self.loop.now, timeout)

        async def do_wait() -> bool:
            return await self.cond.wait(arg)

        tid = self.start_waiter(do_wait(), deadline)
        if self.expected.get(tid) == "timeout":
            self.expected[tid] = False
        self.drain()

    @rule(n=st.integers(0, 3))
    def notify(self, n: int) -> None:
        self.cond.notify(n)
        self.model_notify(n)
        self.drain()

    @rule()
    def notify_all(self) -> None:
        self.cond.notify_all()
        self.model_notify(len(self.blocked))
        self.drain()

    @precondition(lambda self: self.blocked)
    @rule()
    def notify_then_cancel_receiver(self) -> None:
        """A notified waiter cancelled before it runs passes the notification on."""
        receiver = self.blocked.pop(0)
        self.cond.notify(1)
        self.tasks[receiver.tid].cancel()
        self.expected[receiver.tid] = "cancelled"
        self.model_notify(1)
        self.drain()

    @invariant()
    def no_waiter_leaks(self) -> None:
        assert len(self.cond._waiters) == len(self.blocked)


_SETTINGS = settings(max_examples=min(settings().max_examples, 100), stateful_step_count=30)
SemaphoreMachine.TestCase.settings = _SETTINGS
ConditionMachine.TestCase.settings = _SETTINGS
TestSemaphoreMachine = SemaphoreMachine.TestCase
TestConditionMachine = ConditionMachine.TestCase
