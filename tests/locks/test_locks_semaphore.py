"""Unit tests for squall.locks.Semaphore, BoundedSemaphore and Lock."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

import squall.util
from squall.locks import BoundedSemaphore, Lock, Semaphore

_T = TypeVar("_T")


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


async def awaiting(awaitable: Awaitable[_T]) -> _T:
    """A coroutine awaiting ``awaitable``, so a task can wrap (and cancel) the wait."""
    return await awaitable


def test_negative_initial_value_is_rejected() -> None:
    with pytest.raises(ValueError):
        Semaphore(-1)
    with pytest.raises(ValueError):
        BoundedSemaphore(-1)


def test_acquire_counts_down_and_release_hands_permit_to_oldest_waiter() -> None:
    async def main() -> None:
        sem = Semaphore(2)
        assert "[unlocked,value:2]" in repr(sem)
        await sem.acquire()
        await sem.acquire()
        assert "[locked]" in repr(sem)
        order: list[int] = []

        async def worker(i: int) -> None:
            await sem.acquire()
            order.append(i)

        tasks = [asyncio.ensure_future(worker(i)) for i in range(3)]
        await asyncio.sleep(0)
        assert "[locked,waiters:3]" in repr(sem)
        for _ in range(3):
            sem.release()
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        assert order == [0, 1, 2]
        assert sem._value == 0

    run(main)


def test_semaphore_zero_and_unbounded_release() -> None:
    async def main() -> None:
        sem = Semaphore(0)
        fut = sem.acquire()
        assert not fut.done()
        sem.release()
        await fut
        sem.release()
        sem.release()  # a plain Semaphore may exceed its initial value
        assert sem._value == 2

    run(main)


def test_async_with_and_legacy_with_release() -> None:
    async def main() -> None:
        sem = Semaphore(1)
        async with sem:
            assert sem._value == 0
        assert sem._value == 1
        with await sem.acquire():  # the `with (yield sem.acquire())` form
            assert sem._value == 0
        assert sem._value == 1
        with pytest.raises(RuntimeError), sem:
            pass
        assert sem._value == 1

    run(main)


def test_acquire_timeout_raises_and_consumes_nothing() -> None:
    async def main() -> None:
        sem = Semaphore(0)
        loop = asyncio.get_running_loop()
        with pytest.raises(squall.util.TimeoutError):
            await sem.acquire(timeout=datetime.timedelta(seconds=0.01))
        with pytest.raises(squall.util.TimeoutError):
            await sem.acquire(timeout=loop.time() + 0.01)
        fut = sem.acquire(timeout=0)
        assert fut.done() and isinstance(fut.exception(), TimeoutError)
        assert len(sem._waiters) == 0
        sem.release()
        assert sem._value == 1
        ok = sem.acquire(timeout=0)  # a free permit is taken even with a past deadline
        assert ok.done() and ok.exception() is None

    run(main)


def test_cancelled_acquire_leaves_and_permit_goes_to_next() -> None:
    async def main() -> None:
        sem = Semaphore(0)
        first = sem.acquire()
        second = sem.acquire()
        first.cancel()
        assert len(sem._waiters) == 1
        sem.release()
        await second
        assert sem._value == 0

    run(main)


def test_task_cancelled_after_being_handed_a_permit_releases_it() -> None:
    async def main() -> None:
        sem = Semaphore(0)
        first = asyncio.ensure_future(awaiting(sem.acquire()))
        await asyncio.sleep(0)
        sem.release()
        first.cancel()
        await asyncio.sleep(0)
        assert first.cancelled()
        assert sem._value == 1  # the permit was not lost

        await sem.acquire()
        second = asyncio.ensure_future(awaiting(sem.acquire()))
        third = asyncio.ensure_future(awaiting(sem.acquire()))
        await asyncio.sleep(0)
        sem.release()
        second.cancel()  # handed the permit, cancelled before it could resume
        await third
        assert second.cancelled()
        assert sem._value == 0

    run(main)


def test_repeated_timeouts_do_not_leak_waiters() -> None:
    async def main() -> None:
        sem = BoundedSemaphore(1)
        loop = asyncio.get_running_loop()
        await sem.acquire()
        for _ in range(300):
            with pytest.raises(TimeoutError):
                await sem.acquire(timeout=loop.time() + 0.0001)
        assert len(sem._waiters) == 0
        sem.release()
        assert sem._value == 1

    run(main)


def test_bounded_semaphore_rejects_over_release() -> None:
    async def main() -> None:
        sem = BoundedSemaphore(2)
        with pytest.raises(ValueError):
            sem.release()
        await sem.acquire()
        sem.release()
        with pytest.raises(ValueError):
            sem.release()
        assert sem._value == 2
        assert "BoundedSemaphore" in repr(sem)

    run(main)


def test_lock_mutual_exclusion_and_fifo() -> None:
    async def main() -> None:
        lock = Lock()
        assert "unlocked" in repr(lock)
        events: list[str] = []

        async def worker(name: str) -> None:
            async with lock:
                events.append(f"{name} in")
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                events.append(f"{name} out")

        await asyncio.gather(*(worker(n) for n in "abc"))
        assert events == ["a in", "a out", "b in", "b out", "c in", "c out"]

    run(main)


def test_lock_release_and_with_errors() -> None:
    async def main() -> None:
        lock = Lock()
        with pytest.raises(RuntimeError):
            lock.release()
        await lock.acquire()
        assert "locked" in repr(lock)
        with pytest.raises(RuntimeError), lock:
            pass
        lock.release()
        with await lock.acquire():
            pass
        fut = lock.acquire()
        assert fut.done()
        with pytest.raises(TimeoutError):
            await lock.acquire(timeout=datetime.timedelta(seconds=0.01))
        lock.release()
        await lock.acquire(timeout=datetime.timedelta(seconds=0.01))
        lock.release()

    run(main)
