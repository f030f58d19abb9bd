"""PeriodicCallback scheduling arithmetic, driven by a controllable clock."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from squall.ioloop import AsyncIOLoop, IOLoop, PeriodicCallback


class FakeClockLoop(AsyncIOLoop):
    """An IOLoop whose clock is set by the test and whose timeouts are only recorded."""

    def initialize(self, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(**kwargs)
        self.now = 1000.0
        self.scheduled: list[tuple[float, Callable[[], Any]]] = []
        self.removed: list[Any] = []

    def time(self) -> float:
        return self.now

    def add_timeout(self, deadline: Any, callback: Any, *args: Any, **kwargs: Any) -> Any:
        assert not args and not kwargs
        handle = (float(deadline), callback)
        self.scheduled.append(handle)
        return handle

    def remove_timeout(self, timeout: Any) -> None:
        self.removed.append(timeout)

    def fire(self, at: float) -> float:
        """Set the clock to ``at``, run the last scheduled callback, return the next deadline."""
        self.now = at
        _deadline, cb = self.scheduled[-1]
        result = cb()
        if asyncio.iscoroutine(result):
            self.asyncio_loop.run_until_complete(result)
        return self.scheduled[-1][0]


@pytest.fixture
def fake_loop() -> Iterator[FakeClockLoop]:
    loop = FakeClockLoop(make_current=True)
    assert isinstance(loop, FakeClockLoop)
    assert IOLoop.current() is loop
    try:
        yield loop
    finally:
        loop.close()


def test_first_run_one_period_after_start(fake_loop: FakeClockLoop) -> None:
    calls: list[float] = []
    pc = PeriodicCallback(lambda: calls.append(fake_loop.now), 1000)
    pc.start()
    assert pc.is_running()
    assert fake_loop.scheduled[-1][0] == 1001.0
    assert fake_loop.fire(1001.0) == 1002.0
    assert calls == [1001.0]


def test_schedule_is_anchored_to_the_grid(fake_loop: FakeClockLoop) -> None:
    pc = PeriodicCallback(lambda: None, 1000)
    pc.start()
    # Running a little late does not shift the schedule.
    assert fake_loop.fire(1001.25) == 1002.0
    assert fake_loop.fire(1002.9) == 1003.0


def test_missed_runs_are_skipped(fake_loop: FakeClockLoop) -> None:
    calls: list[float] = []
    pc = PeriodicCallback(lambda: calls.append(fake_loop.now), 1000)
    pc.start()
    # Stalled for 3.5 periods: 1002, 1003, 1004 are skipped; next is 1005.
    assert fake_loop.fire(1004.5) == 1005.0
    # Exactly on a grid point: that slot counts as done, next is one later.
    assert fake_loop.fire(1007.0) == 1008.0
    assert calls == [1004.5, 1007.0]


def test_clock_going_backwards_still_advances(fake_loop: FakeClockLoop) -> None:
    pc = PeriodicCallback(lambda: None, 1000)
    pc.start()
    assert fake_loop.fire(1001.0) == 1002.0
    # The clock jumps back before the pending deadline: move on by one period.
    assert fake_loop.fire(990.0) == 1003.0


def test_fractional_period(fake_loop: FakeClockLoop) -> None:
    pc = PeriodicCallback(lambda: None, 250)
    pc.start()
    assert fake_loop.scheduled[-1][0] == pytest.approx(1000.25)
    assert fake_loop.fire(1001.1) == pytest.approx(1001.25)


def test_timedelta_period(fake_loop: FakeClockLoop) -> None:
    pc = PeriodicCallback(lambda: None, datetime.timedelta(seconds=2))
    assert pc.callback_time == 2000
    pc.start()
    assert fake_loop.scheduled[-1][0] == 1002.0


def test_jitter_stays_within_bounds(fake_loop: FakeClockLoop) -> None:
    pc = PeriodicCallback(lambda: None, 1000, jitter=0.5)
    pc.start()
    deadlines = [fake_loop.scheduled[-1][0]]
    for _ in range(50):
        deadlines.append(fake_loop.fire(deadlines[-1]))
    gaps = [b - a for a, b in itertools.pairwise(deadlines)]
    assert all(0.75 <= g <= 1.25 for g in gaps)
    assert len({round(g, 6) for g in gaps}) > 1


def test_stop_removes_pending_timeout(fake_loop: FakeClockLoop) -> None:
    calls: list[int] = []
    pc = PeriodicCallback(lambda: calls.append(1), 1000)
    pc.start()
    handle = fake_loop.scheduled[-1]
    pc.stop()
    assert not pc.is_running()
    assert fake_loop.removed == [handle]
    # A stale timer firing after stop does nothing and schedules nothing.
    n = len(fake_loop.scheduled)
    fake_loop.fire(1001.0)
    assert calls == []
    assert len(fake_loop.scheduled) == n


def test_exception_logged_and_schedule_continues(
    fake_loop: FakeClockLoop, caplog: pytest.LogCaptureFixture
) -> None:
    def bad() -> None:
        raise RuntimeError("periodic failure")

    pc = PeriodicCallback(bad, 1000)
    pc.start()
    with caplog.at_level(logging.ERROR, logger="squall.application"):
        assert fake_loop.fire(1001.0) == 1002.0
    assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in caplog.records)


def test_awaitable_result_is_awaited_before_rescheduling(fake_loop: FakeClockLoop) -> None:
    steps: list[str] = []

    async def work() -> None:
        steps.append("start")
        await asyncio.sleep(0)
        fake_loop.now += 2.5  # the callback itself overran
        steps.append("end")

    pc = PeriodicCallback(work, 1000)
    pc.start()
    # Fired at 1001, finished at 1003.5: next slot on the grid is 1004.
    assert fake_loop.fire(1001.0) == 1004.0
    assert steps == ["start", "end"]


@pytest.mark.parametrize("bad", [0, -5, float("nan"), float("inf"), datetime.timedelta(0)])
def test_non_positive_period_rejected(bad: Any) -> None:
    with pytest.raises(ValueError):
        PeriodicCallback(lambda: None, bad)


def test_runs_on_a_real_loop() -> None:
    async def main() -> int:
        count = 0
        done = asyncio.get_running_loop().create_future()

        def tick() -> None:
            nonlocal count
            count += 1
            if count == 3:
                pc.stop()
                done.set_result(None)

        pc = PeriodicCallback(tick, 5)
        pc.start()
        await asyncio.wait_for(done, 5)
        await asyncio.sleep(0.02)
        return count

    assert asyncio.run(main()) == 3
