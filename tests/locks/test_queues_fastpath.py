"""The Queue fast paths (no waiting): same results as the waiting paths, in every order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from squall.gen import WaitIterator, multi
from squall.queues import LifoQueue, PriorityQueue, Queue


def test_puts_that_do_not_wait_share_one_resolved_future() -> None:
    async def main() -> None:
        q: Queue[int] = Queue(2)
        a, b = q.put(1), q.put(2)
        assert a.done() and a.result() is None and a is b
        assert not a.cancel()  # nothing can change it
        c = q.put(3)  # full: a real waiter
        assert not c.done() and c is not a
        assert await q.get() == 1  # admits 3
        assert c.done()
        assert [q.get_nowait(), q.get_nowait()] == [2, 3]
        assert q._unfinished_tasks == 3

    asyncio.run(main())


def test_shared_put_future_is_per_loop() -> None:
    q: Queue[int] = Queue()

    async def put() -> Any:
        f = q.put(0)
        assert f.get_loop() is asyncio.get_running_loop()
        return f

    assert asyncio.run(put()) is not asyncio.run(put())


def test_wait_iterator_and_multi_accept_the_shared_future() -> None:
    async def main() -> None:
        q: Queue[int] = Queue()
        it = WaitIterator(q.put(1), q.put(2), q.put(3))
        indexes = []
        async for result in it:
            assert result is None
            indexes.append(it.current_index)
        assert sorted(indexes) == [0, 1, 2]
        assert await multi({"a": q.put(4), "b": q.put(5)}) == {"a": None, "b": None}
        assert [q.get_nowait() for _ in range(5)] == [1, 2, 3, 4, 5]

    asyncio.run(main())


def ensure(awaitable: Awaitable[None]) -> asyncio.Future[None]:
    assert isinstance(awaitable, asyncio.Future)
    return awaitable


@given(
    kind=st.sampled_from([Queue, LifoQueue, PriorityQueue]),
    maxsize=st.integers(0, 4),
    ops=st.lists(st.sampled_from(["put", "get"]), max_size=40),
)
def test_fast_and_nowait_paths_agree(kind: type[Queue[int]], maxsize: int, ops: list[str]) -> None:
    """put()/get() that need not wait behave exactly like put_nowait()/get_nowait()."""

    async def main() -> None:
        fast, slow = kind(maxsize), kind(maxsize)
        for i, op in enumerate(ops):
            if op == "put":
                if slow.full():
                    continue
                slow.put_nowait(i)
                assert fast.put(i).done()
            else:
                if slow.empty():
                    continue
                f = fast.get()
                assert f.done() and f.result() == slow.get_nowait()
            assert fast.qsize() == slow.qsize()
            assert fast._unfinished_tasks == slow._unfinished_tasks
            assert ensure(fast.join()).done() == ensure(slow.join()).done()

    asyncio.run(main())
