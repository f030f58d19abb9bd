"""Coroutine-friendly synchronization primitives (Tornado's ``tornado.locks``).

Coming in the ioloop/locks issue: ``Condition``, ``Event``, ``Semaphore``,
``BoundedSemaphore`` and ``Lock``, all with timeouts and ``async with``.
"""

__all__: list[str] = []
