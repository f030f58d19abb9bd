"""Exceptions raised by the non-blocking queue methods."""


class QueueEmpty(Exception):  # noqa: N818 - Tornado's name
    """Raised by ``Queue.get_nowait`` when the queue holds no item."""

    __module__ = "squall.queues"


class QueueFull(Exception):  # noqa: N818 - Tornado's name
    """Raised by ``Queue.put_nowait`` when the queue already holds ``maxsize`` items."""

    __module__ = "squall.queues"
