"""Unit tests for squall.locks.Event."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import squall.util
from squall.locks import Event


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


def test_set_clear_and_repr() -> None:
    event = Event()
    assert not event.is_set()
    assert repr(event) == "<Event clear>"
    event.set()
    event.set()
    assert event.is_set()
    assert repr(event) == "<Event set>"
    event.clear()
    assert not event.is_set()


def test_wait_blocks_until_set_and_wakes_every_waiter() -> None:
    async def main() -> None:
        event = Event()
        futs = [event.wait() for _ in range(3)]
        await asyncio.sleep(0)
        assert not any(f.done() for f in futs)
        event.set()
        assert await asyncio.gather(*futs) == [None, None, None]
        assert event.wait().done()  # already set: resolved at once
        event.clear()
        blocked = event.wait()
        await asyncio.sleep(0)
        assert not blocked.done()
        event.set()
        await blocked

    run(main)


def test_wait_timeout_raises_timeout_error_and_leaves() -> None:
    async def main() -> None:
        event = Event()
        with pytest.raises(squall.util.TimeoutError):
            await event.wait(timeout=datetime.timedelta(seconds=0.01))
        with pytest.raises(TimeoutError):
            await event.wait(timeout=asyncio.get_running_loop().time() + 0.01)
        assert len(event._waiters) == 0

    run(main)


def test_reached_deadline_acts_at_once_unless_set() -> None:
    async def main() -> None:
        event = Event()
        fut = event.wait(timeout=0)
        assert fut.done() and isinstance(fut.exception(), squall.util.TimeoutError)
        event.set()
        fut = event.wait(timeout=datetime.timedelta(0))
        assert fut.done() and fut.result() is None

    run(main)


def test_cancelled_waiter_is_removed_and_set_still_works() -> None:
    async def main() -> None:
        event = Event()
        gone = event.wait()
        kept = event.wait(timeout=datetime.timedelta(seconds=5))
        gone.cancel()
        assert len(event._waiters) == 1
        event.set()
        await kept
        assert gone.cancelled()

    run(main)


def test_repeated_timeouts_do_not_leak_waiters() -> None:
    async def main() -> None:
        event = Event()
        loop = asyncio.get_running_loop()
        for _ in range(500):
            fut = event.wait(timeout=loop.time() + 0.0001)
            with pytest.raises(TimeoutError):
                await fut
        assert len(event._waiters) == 0

    run(main)
