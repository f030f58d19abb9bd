"""``PriorityQueue`` and ``LifoQueue`` (``tornado.queues``)."""

from __future__ import annotations

import heapq
from typing import TypeVar

from squall.queues._queue import Queue

_T = TypeVar("_T")


class PriorityQueue(Queue[_T]):
    """A :class:`Queue` that hands out the smallest item first.

    Items are compared with ``<``; entries are usually ``(priority, data)`` tuples.
    Follows ``tornado.queues.PriorityQueue``.
    """

    __module__ = "squall.queues"

    def _init(self) -> None:
        self._queue = []

    def _put(self, item: _T) -> None:
        heapq.heappush(self._queue, item)

    def _get(self) -> _T:
        item: _T = heapq.heappop(self._queue)
        return item

    def _unget(self, item: _T) -> None:
        heapq.heappush(self._queue, item)


class LifoQueue(Queue[_T]):
    """A :class:`Queue` that hands out the most recently put item first.

    Follows ``tornado.queues.LifoQueue``.
    """

    __module__ = "squall.queues"

    def _init(self) -> None:
        self._queue = []

    def _put(self, item: _T) -> None:
        self._queue.append(item)

    def _get(self) -> _T:
        item: _T = self._queue.pop()
        return item

    def _unget(self, item: _T) -> None:
        self._queue.append(item)
