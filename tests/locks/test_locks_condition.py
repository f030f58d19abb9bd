"""Unit tests for squall.locks.Condition (real event loop, small real timeouts)."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

from squall.locks import Condition

_T = TypeVar("_T")


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


async def awaiting(awaitable: Awaitable[_T]) -> _T:
    """A coroutine awaiting ``awaitable``, so a task can wrap (and cancel) the wait."""
    return await awaitable


def test_wait_resolves_true_when_notified() -> None:
    async def main() -> None:
        cond = Condition()
        assert repr(cond) == "<Condition>"
        fut = cond.wait()
        assert repr(cond) == "<Condition waiters[1]>"
        assert not fut.done()
        cond.notify()
        assert await fut is True
        assert repr(cond) == "<Condition>"

    run(main)


def test_notify_wakes_oldest_waiters_first() -> None:
    async def main() -> None:
        cond = Condition()
        futs = [cond.wait() for _ in range(4)]
        cond.notify(2)
        assert [f.done() for f in futs] == [True, True, False, False]
        cond.notify_all()
        assert all(f.done() and f.result() is True for f in futs)
        cond.notify(5)  # nobody waits: no-op
        cond.notify(0)

    run(main)


def test_notify_without_waiters_is_not_remembered() -> None:
    async def main() -> None:
        cond = Condition()
        cond.notify()
        fut = cond.wait()
        await asyncio.sleep(0)
        assert not fut.done()
        cond.notify()
        assert await fut

    run(main)


def test_timeout_resolves_false_and_notification_skips_timed_out_waiter() -> None:
    async def main() -> None:
        cond = Condition()
        loop = asyncio.get_running_loop()
        short = cond.wait(timeout=datetime.timedelta(seconds=0.01))
        absolute = cond.wait(timeout=loop.time() + 0.01)
        patient = cond.wait()
        assert await short is False
        assert await absolute is False
        assert len(cond._waiters) == 1
        cond.notify()
        assert await patient is True

    run(main)


@pytest.mark.parametrize("timeout", [0, 0.0, -5, datetime.timedelta(0), datetime.timedelta(-1)])
def test_reached_deadline_times_out_at_once(timeout: float | datetime.timedelta) -> None:
    async def main() -> None:
        cond = Condition()
        fut = cond.wait(timeout=timeout)
        assert fut.done() and fut.result() is False
        assert len(cond._waiters) == 0

    run(main)


def test_cancelled_wait_leaves_and_does_not_eat_a_notification() -> None:
    async def main() -> None:
        cond = Condition()
        first = cond.wait()
        second = cond.wait()
        first.cancel()
        assert len(cond._waiters) == 1
        cond.notify()
        assert await second is True

    run(main)


def test_task_cancelled_after_notify_passes_it_on() -> None:
    async def main() -> None:
        cond = Condition()
        first = asyncio.ensure_future(awaiting(cond.wait()))
        second = asyncio.ensure_future(awaiting(cond.wait()))
        await asyncio.sleep(0)
        cond.notify(1)
        first.cancel()
        assert await second is True
        assert first.cancelled()

    run(main)


def test_repeated_timeouts_do_not_grow_the_waiter_list() -> None:
    async def main() -> None:
        cond = Condition()
        loop = asyncio.get_running_loop()
        for _ in range(1000):
            assert await cond.wait(timeout=loop.time() - 1) is False
        futs = [cond.wait(timeout=loop.time() + 0.001) for _ in range(200)]
        assert not any(await asyncio.gather(*futs))
        for _ in range(200):
            cond.wait().cancel()
        assert len(cond._waiters) == 0

    run(main)


def test_bad_timeouts_are_rejected() -> None:
    async def main() -> None:
        cond = Condition()
        with pytest.raises(TypeError):
            cond.wait(timeout="soon")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            cond.wait(timeout=True)
        with pytest.raises(ValueError):
            cond.wait(timeout=float("nan"))
        assert len(cond._waiters) == 0

    run(main)
