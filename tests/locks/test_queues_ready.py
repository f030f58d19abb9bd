"""What ``Queue.get()`` returns when an item is ready (a ``Ready``) works wherever a future did.

Tornado documents ``get()`` as returning an awaitable; squall returns a cheap
``squall.queues.Ready`` instead of a resolved future when it need not wait. Every use
listed in Tornado's docs (``await``, ``yield`` in ``gen.coroutine``, ``gen.multi``,
``with_timeout``, ``convert_yielded``, ``IOLoop.add_future``) and asyncio's
(``gather``, ``wait_for``, ``ensure_future``, ``wait``) is checked here, against the
waiting path (a real future) where it applies.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall import gen
from squall.ioloop import IOLoop
from squall.queues import LifoQueue, PriorityQueue, Queue, Ready


def test_ready_get_is_a_ready_awaitable_that_answers_like_a_done_future() -> None:
    async def main() -> None:
        q: Queue[str] = Queue()
        q.put_nowait("a")
        got = q.get()
        assert isinstance(got, Ready) and q.empty()
        assert got.done() and not got.cancelled() and got.exception() is None
        assert got.result() == "a"
        assert not got.cancel() and got.result() == "a"
        assert await got == "a" and await got == "a"  # awaitable more than once
        assert "a" in repr(got)
        waiting = q.get()  # nothing there: a real future
        assert isinstance(waiting, asyncio.Future) and not waiting.done()
        q.put_nowait("b")
        assert await waiting == "b"

    asyncio.run(main())


def test_get_with_a_producer_waiting_is_ready_too() -> None:
    async def main() -> None:
        q: Queue[int] = Queue(1)
        q.put_nowait(1)
        putter = q.put(2)
        got = q.get()  # admits 2, takes 1
        assert isinstance(got, Ready) and got.result() == 1
        assert putter.done() and q.get_nowait() == 2

    asyncio.run(main())


def test_gen_coroutine_yield_multi_and_with_timeout() -> None:
    @gen.coroutine
    def legacy(q: Queue[int]) -> Generator[Any, Any, list[Any]]:
        first = yield q.get()
        pair = yield [q.get(), q.get()]
        named = yield {"x": q.get()}
        timed = yield gen.with_timeout(datetime.timedelta(seconds=5), q.get())
        return [first, pair, named, timed]

    async def main() -> None:
        q: Queue[int] = Queue()
        for i in range(5):
            q.put_nowait(i)
        assert await legacy(q) == [0, [1, 2], {"x": 3}, 4]
        for i in range(3):
            q.put_nowait(i)
        assert await gen.multi([q.get(), q.get()]) == [0, 1]
        assert await gen.with_timeout(datetime.timedelta(seconds=5), q.get()) == 2

    asyncio.run(main())


def test_convert_yielded_gives_a_resolved_future_on_the_running_loop() -> None:
    async def main() -> None:
        q: Queue[str] = Queue()
        q.put_nowait("x")
        fut = gen.convert_yielded(q.get())
        assert isinstance(fut, asyncio.Future)
        assert fut.get_loop() is asyncio.get_running_loop()
        assert fut.done() and fut.result() == "x"

    asyncio.run(main())


def test_wait_iterator_accepts_ready_gets() -> None:
    async def main() -> None:
        q: Queue[int] = Queue()
        for i in (10, 11):
            q.put_nowait(i)
        it = gen.WaitIterator(q.get(), q.get())
        results = {}
        async for result in it:
            results[it.current_index] = result
        assert results == {0: 10, 1: 11}

    asyncio.run(main())


def test_ioloop_add_future_accepts_ready_and_waiting_gets() -> None:
    async def main() -> None:
        q: Queue[str] = Queue()
        io_loop = IOLoop.current()
        seen: list[Any] = []
        done = asyncio.Event()

        def callback(fut: asyncio.Future[str]) -> None:
            seen.append(fut.result())
            if len(seen) == 2:
                done.set()

        q.put_nowait("ready")
        io_loop.add_future(q.get(), callback)
        io_loop.add_future(q.get(), callback)  # waits: a real future
        q.put_nowait("waited")
        await asyncio.wait_for(done.wait(), 5)
        assert seen == ["ready", "waited"]
        with pytest.raises(TypeError):
            io_loop.add_future(object(), callback)  # type: ignore[arg-type]

    asyncio.run(main())


def test_asyncio_helpers_accept_ready_gets() -> None:
    async def main() -> None:
        q: Queue[int] = Queue()
        for i in range(5):
            q.put_nowait(i)
        assert await asyncio.gather(q.get(), q.get()) == [0, 1]  # type: ignore[comparison-overlap]
        assert await asyncio.wait_for(q.get(), 5) == 2
        assert await asyncio.ensure_future(q.get()) == 3
        # asyncio.wait wants futures (add_done_callback); Ready has it.
        done, pending = await asyncio.wait([q.get()])  # type: ignore[type-var]
        assert [t.result() for t in done] == [4] and not pending

    asyncio.run(main())


def test_async_for_reads_ready_items() -> None:
    async def main() -> None:
        q: Queue[int] = Queue()
        for i in range(3):
            q.put_nowait(i)
        got = []
        async for item in q:
            got.append(item)
            if len(got) == 3:
                break
        assert got == [0, 1, 2]

    asyncio.run(main())


class _OwnFull(Queue[int]):
    """Same answers as Queue.full(), through an override: put() must call it."""

    calls = 0

    def full(self) -> bool:
        type(self).calls += 1
        return super().full()


def test_put_fast_path_respects_a_full_override() -> None:
    assert Queue._plain_full and LifoQueue._plain_full and PriorityQueue._plain_full
    assert not _OwnFull._plain_full

    class NeverFull(Queue[int]):
        def full(self) -> bool:
            return False

    async def main() -> None:
        q = NeverFull(1)
        for i in range(3):
            assert q.put(i).done()  # the override says there is room
        assert q.qsize() == 3

    asyncio.run(main())


@given(
    kind=st.sampled_from([Queue, LifoQueue, PriorityQueue]),
    maxsize=st.integers(0, 4),
    ops=st.lists(st.sampled_from(["put", "get"]), max_size=40),
)
def test_inlined_full_check_agrees_with_full(
    kind: type[Queue[int]], maxsize: int, ops: list[str]
) -> None:
    """put()/get() on a queue whose full() is inlined match one calling the override."""

    class Checked(kind):  # type: ignore[valid-type,misc]
        def full(self) -> bool:
            return bool(super().full())

    async def main() -> None:
        fast, slow = kind(maxsize), Checked(maxsize)
        assert fast._plain_full and not slow._plain_full
        pending: list[tuple[Any, Any]] = []
        for i, op in enumerate(ops):
            a: Any
            b: Any
            if op == "put":
                a, b = fast.put(i), slow.put(i)
            else:
                a, b = fast.get(), slow.get()
            assert a.done() == b.done()
            if a.done():
                assert a.result() == b.result()
            else:
                pending.append((a, b))
            assert fast.qsize() == slow.qsize()
            assert fast._unfinished_tasks == slow._unfinished_tasks
        for a, b in pending:
            assert a.done() == b.done()
            if a.done():
                assert a.result() == b.result()
            a.cancel()
            b.cancel()

    asyncio.run(main())


def test_shared_put_future_is_renewed_when_its_loop_stops_running() -> None:
    q: Queue[int] = Queue()
    first = asyncio.new_event_loop()
    second = asyncio.new_event_loop()
    try:

        async def put() -> Any:
            f = q.put(0)
            assert f.get_loop() is asyncio.get_running_loop()
            return f

        a = first.run_until_complete(put())
        b = second.run_until_complete(put())  # first is open but no longer running
        c = first.run_until_complete(put())
        assert a.get_loop() is first and b.get_loop() is second and c.get_loop() is first
        assert q.qsize() == 3
    finally:
        first.close()
        second.close()
