"""Request timeouts served by one timer per client instead of one per request.

``asyncio.timeout`` (or ``loop.call_later``) costs a timer handle per request,
scheduled and cancelled again on the loop's heap, although almost every request
finishes long before its deadline. ``Deadlines`` keeps the deadlines in a set and
arms a single timer for the earliest one; when it fires it cancels the task of every
request whose deadline has passed and re-arms itself for the earliest remaining one.
Adding a request costs a set insertion (and re-arming only when its deadline is the
new earliest one, which with equal timeouts happens once per timer firing); finishing
one costs a set removal. A timer left armed for a request that already finished
fires once, finds nothing due and is not re-armed.

The owner turns the cancellation into a timeout the way ``asyncio.timeout`` does:
remember ``task.cancelling()`` before, and on ``CancelledError`` with
``deadline.expired`` set, ``task.uncancel()`` back to that count means the
cancellation was ours.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

#: Deadlines this close to the timer's firing time count as reached: the loop may run
#: a timer up to its clock resolution early, and a deadline must not be re-armed
#: forever for a sub-microsecond difference.
_SLACK = 1e-3


class Deadline:
    """One request's deadline (a token for ``Deadlines.remove``).

    Attributes:
        when: the deadline, in ``loop.time()`` seconds.
        task: the task to cancel when it passes.
        expired: ``True`` once the deadline passed and the task was cancelled.
    """

    __slots__ = ("expired", "task", "when")

    def __init__(self, when: float, task: asyncio.Task[Any]) -> None:
        self.when = when
        self.task = task
        self.expired = False


class Deadlines:
    """The pending request deadlines of one client, and the one timer serving them."""

    def __init__(self) -> None:
        self._pending: set[Deadline] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def add(
        self, loop: asyncio.AbstractEventLoop, when: float, task: asyncio.Task[Any]
    ) -> Deadline:
        """Cancel ``task`` at ``when`` (``loop.time()`` seconds) unless removed first.

        Returns:
            The ``Deadline``: pass it to :meth:`remove`, read its ``expired``.
        """
        deadline = Deadline(when, task)
        self._pending.add(deadline)
        if when < self._timer_at:
            self._arm(loop, when)
        return deadline

    def remove(self, deadline: Deadline) -> None:
        """Forget ``deadline`` (the request finished); the timer stays as it is."""
        self._pending.discard(deadline)

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._fire, loop)
        self._timer_at = when

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self._timer_at = math.inf
        now = loop.time() + _SLACK
        earliest = math.inf
        due = [d for d in self._pending if d.when <= now]
        for deadline in due:
            self._pending.discard(deadline)
            deadline.expired = True
            deadline.task.cancel()
        for deadline in self._pending:
            earliest = min(earliest, deadline.when)
        if earliest < math.inf:
            self._arm(loop, earliest)

    def close(self) -> None:
        """Stop the timer if no request is pending (those still running stay timed)."""
        if self._timer is not None and not self._pending:
            self._timer.cancel()
            self._timer = None
        self._timer_at = math.inf
