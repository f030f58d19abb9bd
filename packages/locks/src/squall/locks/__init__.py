"""Coroutine-friendly synchronization primitives (Tornado's ``tornado.locks``).

:class:`Condition`, :class:`Event`, :class:`Semaphore`, :class:`BoundedSemaphore` and
:class:`Lock`. Like Tornado's, they are not thread-safe: use them from the thread running
their event loop.

Timeouts (``timeout=`` arguments) are ``None`` (wait forever), an absolute deadline in
``IOLoop.time()`` seconds or a ``datetime.timedelta`` relative to now; a deadline already
reached acts at once. Waiters are served first come, first served; a waiter that is
cancelled or times out leaves its waiter list at once and never consumes a permit or a
notification (one handed to a task cancelled before it could resume is passed on).
"""

from squall.locks._condition import Condition
from squall.locks._event import Event
from squall.locks._lock import Lock
from squall.locks._semaphore import BoundedSemaphore, Semaphore

__all__ = ["BoundedSemaphore", "Condition", "Event", "Lock", "Semaphore"]
