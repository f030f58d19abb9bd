"""``Event``: a flag coroutines can wait for (``tornado.locks.Event``)."""

from __future__ import annotations

import asyncio

from squall.locks._waiter import Timeout, Waiter, WaiterList, current_loop, resolved, to_deadline
from squall.util import TimeoutError


def _time_out_with_error(waiter: Waiter[None]) -> None:
    waiter.set_exception(TimeoutError())


class Event:
    """An event: a boolean flag; :meth:`wait` blocks until it is set.

    Starts cleared. Follows ``tornado.locks.Event``.
    """

    __module__ = "squall.locks"

    def __init__(self) -> None:
        self._value = False
        self._waiters: WaiterList[None, None] = WaiterList(_time_out_with_error)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'set' if self._value else 'clear'}>"

    def is_set(self) -> bool:
        """Return ``True`` if the flag is set."""
        return self._value

    def set(self) -> None:
        """Set the flag and wake every waiter; later :meth:`wait` calls return at once."""
        if self._value:
            return
        self._value = True
        while (entry := self._waiters.pop()) is not None:
            entry[0].fulfil(None)

    def clear(self) -> None:
        """Reset the flag: later :meth:`wait` calls block until the next :meth:`set`."""
        self._value = False

    def wait(self, timeout: Timeout = None) -> asyncio.Future[None]:
        """Wait until the flag is set.

        Args:
            timeout: ``None`` to wait forever, an absolute deadline in ``IOLoop.time()``
                seconds, or a ``datetime.timedelta`` relative to now. A deadline already
                reached (``0`` included) times out at once unless the flag is set.

        Returns:
            A future resolving to ``None`` once the flag is set (at once if it already is).
            Cancelling it removes the waiter.

        Raises:
            squall.util.TimeoutError: (from the future) the deadline passed first.
            TypeError: ``timeout`` has an unsupported type.
        """
        loop = current_loop()
        if self._value:
            return resolved(loop, None)
        return self._waiters.add(loop, None, to_deadline(loop, timeout))
