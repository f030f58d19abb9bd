"""Asynchronous queues for coroutines (Tornado's ``tornado.queues``).

Coming in the ioloop/locks issue: ``Queue``, ``PriorityQueue``, ``LifoQueue``,
``QueueEmpty`` and ``QueueFull``.
"""

__all__: list[str] = []
