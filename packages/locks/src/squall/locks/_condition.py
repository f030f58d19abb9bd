"""``Condition``: coroutines wait until another one notifies them (``tornado.locks.Condition``)."""

from __future__ import annotations

from squall.locks._waiter import Timeout, Waiter, WaiterList, current_loop, to_deadline


def _time_out_with_false(waiter: Waiter[bool]) -> None:
    waiter.set_result(False)


class Condition:
    """A condition: :meth:`wait` blocks until :meth:`notify` or :meth:`notify_all`.

    Unlike :class:`threading.Condition` there is no underlying lock: coroutines are not
    preempted, so wait/notify need no mutual exclusion. Waiters are woken first come,
    first served. Follows ``tornado.locks.Condition``.
    """

    __module__ = "squall.locks"

    def __init__(self) -> None:
        self._waiters: WaiterList[bool, None] = WaiterList(_time_out_with_false)

    def __repr__(self) -> str:
        count = len(self._waiters.pending())
        suffix = f" waiters[{count}]" if count else ""
        return f"<{type(self).__name__}{suffix}>"

    def wait(self, timeout: Timeout = None) -> Waiter[bool]:
        """Wait for a notification.

        Args:
            timeout: ``None`` to wait forever, an absolute deadline in ``IOLoop.time()``
                seconds, or a ``datetime.timedelta`` relative to now. A deadline already
                reached (``0`` included) times out at once.

        Returns:
            A future resolving to ``True`` when notified, ``False`` after the timeout
            (Tornado's ``Condition.wait`` does not raise on timeout). Cancelling it
            removes the waiter; if its task is cancelled after being notified, the
            notification passes to the next waiter.

        Raises:
            TypeError: ``timeout`` has an unsupported type.
        """
        loop = current_loop()
        deadline = to_deadline(loop, timeout)
        return self._waiters.add(loop, None, deadline, give_back=self._pass_on)

    def _pass_on(self, _notified: bool) -> None:
        self.notify(1)

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiters, oldest first (waiters that timed out are skipped).

        Args:
            n: how many waiters to wake (``int``); fewer are woken if fewer wait.
        """
        woken: list[Waiter[bool]] = []
        while len(woken) < n:
            entry = self._waiters.pop()
            if entry is None:
                break
            woken.append(entry[0])
        for waiter in woken:
            waiter.fulfil(True)

    def notify_all(self) -> None:
        """Wake every waiter."""
        self.notify(len(self._waiters))
