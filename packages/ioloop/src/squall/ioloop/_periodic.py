"""``PeriodicCallback``: run a function on a fixed schedule."""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any

from squall.ioloop._ioloop import IOLoop
from squall.log import app_log


class PeriodicCallback:
    """Call ``callback`` every ``callback_time`` milliseconds once :meth:`start` ed.

    Follows ``tornado.ioloop.PeriodicCallback``: the period is measured from
    the start of one run to the start of the next; if a run (or a stalled
    loop) overruns, the missed runs are skipped and the schedule resumes on
    the original grid (``start + k * period``). A callback returning an
    awaitable is awaited before the next run is scheduled. Exceptions are
    logged on ``squall.application``.

    Args:
        callback: zero-argument callable, may return an awaitable.
        callback_time: period in milliseconds (``float``) or a ``timedelta``.
        jitter: fraction of the period by which each run is randomly moved
            (e.g. ``0.1`` spreads runs over +/-5%); ``0`` disables it.

    Raises:
        ValueError: if the period is not positive.
    """

    def __init__(
        self,
        callback: Callable[[], Awaitable[None] | None],
        callback_time: float | datetime.timedelta,
        jitter: float = 0,
    ) -> None:
        self.callback = callback
        if isinstance(callback_time, datetime.timedelta):
            self.callback_time = callback_time / datetime.timedelta(milliseconds=1)
        else:
            self.callback_time = float(callback_time)
        if not (0 < self.callback_time < math.inf):  # also rejects NaN
            raise ValueError("Periodic callback must have a positive callback_time")
        self.jitter = jitter
        self._running = False
        self._timeout: Any = None
        self._next_timeout = 0.0
        self.io_loop: IOLoop | None = None

    def start(self) -> None:
        """Start calling; the first run is one period from now (on the current IOLoop)."""
        io_loop = IOLoop.current()
        assert io_loop is not None
        self.io_loop = io_loop
        self._running = True
        self._next_timeout = io_loop.time()
        self._schedule_next()

    def stop(self) -> None:
        """Stop calling; a run already in progress completes."""
        self._running = False
        if self._timeout is not None and self.io_loop is not None:
            self.io_loop.remove_timeout(self._timeout)
            self._timeout = None

    def is_running(self) -> bool:
        """Return true between :meth:`start` and :meth:`stop`."""
        return self._running

    async def _run(self) -> None:
        if not self._running:
            return
        try:
            result = self.callback()
            if result is not None and isawaitable(result):
                await result
        except Exception:
            app_log.error("Exception in callback %r", self.callback, exc_info=True)
        finally:
            self._schedule_next()

    def _schedule_next(self) -> None:
        if not self._running or self.io_loop is None:
            return
        self._update_next(self.io_loop.time())
        self._timeout = self.io_loop.add_timeout(self._next_timeout, self._run)

    def _update_next(self, current_time: float) -> None:
        """Advance ``_next_timeout`` to the first grid point after ``current_time`` (seconds)."""
        period = self.callback_time / 1000.0
        if self.jitter:
            period *= 1 + self.jitter * (random.random() - 0.5)
        behind = current_time - self._next_timeout
        if behind >= 0:
            # Due or late: skip every missed slot, land on the next one ahead.
            missed = math.floor(behind / period)
            self._next_timeout += (missed + 1) * period
        else:
            # Called early (e.g. the clock stepped back): still move forward
            # one period so we never reschedule the same instant.
            self._next_timeout += period
