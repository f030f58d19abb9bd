"""Unit tests for squall.queues: Queue, PriorityQueue, LifoQueue."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

import squall.util
from squall.queues import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull

_T = TypeVar("_T")


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


async def awaiting(awaitable: Awaitable[_T]) -> _T:
    """A coroutine awaiting ``awaitable``, so a task can wrap (and cancel) the wait."""
    return await awaitable


def test_constructor_validates_maxsize() -> None:
    with pytest.raises(TypeError):
        Queue(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Queue(-1)
    assert Queue().maxsize == 0
    assert Queue(3).maxsize == 3


def test_nowait_methods_and_sizes() -> None:
    q: Queue[int] = Queue(2)
    assert q.empty() and not q.full() and q.qsize() == 0
    with pytest.raises(QueueEmpty):
        q.get_nowait()
    q.put_nowait(1)
    q.put_nowait(2)
    assert q.full() and q.qsize() == 2
    with pytest.raises(QueueFull):
        q.put_nowait(3)
    assert [q.get_nowait(), q.get_nowait()] == [1, 2]
    unbounded: Queue[int] = Queue()
    for i in range(100):
        unbounded.put_nowait(i)
    assert not unbounded.full()


def test_orderings() -> None:
    fifo: Queue[int] = Queue()
    lifo: LifoQueue[int] = LifoQueue()
    prio: PriorityQueue[tuple[int, str]] = PriorityQueue()
    for i in (3, 1, 2):
        fifo.put_nowait(i)
        lifo.put_nowait(i)
    for item in [(1, "medium"), (0, "high"), (10, "low")]:
        prio.put_nowait(item)
    assert [fifo.get_nowait() for _ in range(3)] == [3, 1, 2]
    assert [lifo.get_nowait() for _ in range(3)] == [2, 1, 3]
    assert [prio.get_nowait()[1] for _ in range(3)] == ["high", "medium", "low"]


@given(st.lists(st.integers()))
def test_priority_queue_hands_out_sorted_items(items: list[int]) -> None:
    q: PriorityQueue[int] = PriorityQueue()
    for item in items:
        q.put_nowait(item)
    assert [q.get_nowait() for _ in items] == sorted(items)
    assert q.empty()


def test_blocked_getters_are_served_in_order() -> None:
    async def main() -> None:
        q: Queue[str] = Queue()
        getters = [q.get() for _ in range(3)]
        assert "getters[3]" in str(q)
        for item in "abc":
            await q.put(item)
        assert await asyncio.gather(*getters) == ["a", "b", "c"]
        assert q.empty()

    run(main)


def test_blocked_putters_are_admitted_in_order() -> None:
    async def main() -> None:
        q: Queue[int] = Queue(1)
        await q.put(0)
        putters = [q.put(i) for i in (1, 2)]
        assert "putters[2]" in str(q)
        assert await q.get() == 0
        assert putters[0].done() and not putters[1].done()
        assert await q.get() == 1
        assert await q.get() == 2
        await asyncio.gather(*putters)

    run(main)


def test_priority_get_admits_blocked_putter_first() -> None:
    async def main() -> None:
        q: PriorityQueue[int] = PriorityQueue(1)
        q.put_nowait(5)
        putter = q.put(1)
        assert q.get_nowait() == 1  # the waiting item is admitted, then the smallest taken
        await putter
        assert q.get_nowait() == 5

    run(main)


def test_get_and_put_timeouts_lose_nothing() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        q: Queue[int] = Queue(1)
        with pytest.raises(squall.util.TimeoutError):
            await q.get(timeout=datetime.timedelta(seconds=0.01))
        with pytest.raises(squall.util.TimeoutError):
            await q.get(timeout=loop.time() + 0.01)
        q.put_nowait(1)
        with pytest.raises(TimeoutError):
            await q.put(2, timeout=datetime.timedelta(seconds=0.01))
        fut = q.put(3, timeout=0)
        assert fut.done() and isinstance(fut.exception(), TimeoutError)
        assert len(q._getters) == 0 and len(q._putters) == 0
        assert q.get_nowait() == 1 and q.empty()
        q.put_nowait(4)
        got = q.get(timeout=0)  # an available item is returned even at a past deadline
        assert got.done() and got.result() == 4

    run(main)


def test_cancelled_get_and_put_lose_nothing() -> None:
    async def main() -> None:
        q: Queue[int] = Queue(1)
        gone = q.get()
        kept = q.get()
        gone.cancel()
        q.put_nowait(1)
        assert await kept == 1
        q.put_nowait(2)
        withdrawn = q.put(3)
        withdrawn.cancel()
        assert len(q._putters) == 0
        assert q.get_nowait() == 2
        assert q.empty()

    run(main)


@pytest.mark.parametrize("cls", [Queue, LifoQueue, PriorityQueue])
def test_item_handed_to_cancelled_task_goes_back_to_the_head(cls: type[Queue[int]]) -> None:
    async def main() -> None:
        q = cls()
        consumer = asyncio.ensure_future(awaiting(q.get()))
        await asyncio.sleep(0)
        q.put_nowait(1)
        q.put_nowait(2)
        consumer.cancel()
        await asyncio.sleep(0)
        assert consumer.cancelled()
        assert q.qsize() == 2
        assert q.get_nowait() in (1, 2)
        if cls is not LifoQueue:
            assert q.get_nowait() == 2

    run(main)


def test_item_handed_to_cancelled_task_goes_to_next_getter() -> None:
    async def main() -> None:
        q: Queue[int] = Queue()
        first = asyncio.ensure_future(awaiting(q.get()))
        second = asyncio.ensure_future(awaiting(q.get()))
        await asyncio.sleep(0)
        q.put_nowait(7)
        first.cancel()
        assert await second == 7
        assert first.cancelled()
        assert q.empty()

    run(main)


def test_task_done_and_join() -> None:
    async def main() -> None:
        q: Queue[int] = Queue()
        await q.join()  # nothing put: done at once
        with pytest.raises(ValueError):
            q.task_done()
        q.put_nowait(1)
        q.put_nowait(2)
        assert "tasks=2" in str(q)
        joiner = asyncio.ensure_future(q.join())
        with pytest.raises(TimeoutError):
            await q.join(timeout=datetime.timedelta(seconds=0.01))
        q.get_nowait()
        q.task_done()
        await asyncio.sleep(0)
        assert not joiner.done()
        q.get_nowait()
        q.task_done()
        await joiner
        with pytest.raises(ValueError):
            q.task_done()

    run(main)


def test_async_for_consumer_and_producer() -> None:
    async def main() -> None:
        q: Queue[int] = Queue(maxsize=2)
        seen: list[int] = []

        async def consumer() -> None:
            async for item in q:
                try:
                    seen.append(item)
                    await asyncio.sleep(0)
                finally:
                    q.task_done()

        task = asyncio.ensure_future(consumer())
        for i in range(5):
            await q.put(i)
        await q.join()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert seen == [0, 1, 2, 3, 4]
        assert len(q._getters) == 0

    run(main)


def test_repr_and_str() -> None:
    async def main() -> None:
        q: Queue[int] = Queue(2)
        assert str(q) == "<Queue maxsize=2>"
        assert repr(q).startswith("<Queue at 0x") and repr(q).endswith(" maxsize=2>")
        q.put_nowait(1)
        q.put_nowait(2)
        fut = q.put(3)
        assert str(q) == "<Queue maxsize=2 queue=deque([1, 2]) putters[1] tasks=2>"
        fut.cancel()
        assert str(q) == "<Queue maxsize=2 queue=deque([1, 2]) tasks=2>"

    run(main)


def test_repeated_timeouts_do_not_leak_waiters() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        q: Queue[int] = Queue(1)
        for _ in range(200):
            with pytest.raises(TimeoutError):
                await q.get(timeout=loop.time() + 0.0001)
        q.put_nowait(0)
        for i in range(200):
            with pytest.raises(TimeoutError):
                await q.put(i, timeout=loop.time() + 0.0001)
        for i in range(1000):
            q.put(i).cancel()
        assert len(q._putters) == 0
        assert q.get_nowait() == 0 and q.empty()
        for _ in range(1000):
            assert isinstance(q.get(timeout=loop.time() - 1).exception(), TimeoutError)
            q.get().cancel()
        assert len(q._getters) == 0

    run(main)


def test_waiters_left_on_a_closed_loop_are_skipped() -> None:
    q: Queue[int] = Queue()

    async def leave_a_getter() -> None:
        q.get()

    run(leave_a_getter)

    async def main() -> None:
        fut = q.get()
        q.put_nowait(1)
        assert fut.done() and fut.result() == 1

    run(main)
