"""Asynchronous queues for coroutines (Tornado's ``tornado.queues``).

:class:`Queue` (FIFO), :class:`PriorityQueue` (smallest first) and :class:`LifoQueue`
(newest first), with :class:`QueueEmpty` and :class:`QueueFull` raised by the
non-blocking methods. Not thread-safe: use them from their event loop's thread (hand
work over with ``IOLoop.add_callback`` from other threads).

Blocked ``get``/``put`` calls are served first come, first served. A ``get`` or ``put``
that times out or is cancelled never loses or duplicates an item. A ``get`` that finds
an item ready returns a :class:`Ready` (squall's cheap awaitable holding it) rather
than a future; Tornado documents ``get`` as returning an awaitable.
"""

from squall.queues._errors import QueueEmpty, QueueFull
from squall.queues._queue import Queue
from squall.queues._ready import Ready
from squall.queues._variants import LifoQueue, PriorityQueue

__all__ = ["LifoQueue", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull", "Ready"]
