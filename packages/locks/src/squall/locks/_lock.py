"""``Lock``: a coroutine mutex (``tornado.locks.Lock``)."""

from __future__ import annotations

import asyncio
from types import TracebackType

from squall.locks._semaphore import BoundedSemaphore, _ReleasingContextManager
from squall.locks._waiter import Timeout


class Lock:
    """A mutex for coroutines: held by at most one at a time, granted first come, first served.

    Use ``async with lock:`` (or ``with (yield lock.acquire()):`` in legacy code).
    Follows ``tornado.locks.Lock``.
    """

    __module__ = "squall.locks"

    def __init__(self) -> None:
        self._block = BoundedSemaphore(value=1)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} _block={self._block}>"

    def acquire(self, timeout: Timeout = None) -> asyncio.Future[_ReleasingContextManager]:
        """Take the lock, waiting until it is free.

        Args:
            timeout: ``None`` to wait forever, an absolute deadline in ``IOLoop.time()``
                seconds, or a ``datetime.timedelta`` relative to now. A deadline already
                reached (``0`` included) times out at once unless the lock is free.

        Returns:
            A future resolving to a context manager whose ``__exit__`` releases the lock.

        Raises:
            squall.util.TimeoutError: (from the future) the deadline passed first.
            TypeError: ``timeout`` has an unsupported type.
        """
        return self._block.acquire(timeout)

    def release(self) -> None:
        """Unlock; the oldest waiter (if any) gets the lock next.

        Raises:
            RuntimeError: the lock is not held.
        """
        try:
            self._block.release()
        except ValueError:
            raise RuntimeError("release of an unlocked Lock") from None

    def __enter__(self) -> None:
        raise RuntimeError("use 'async with' (not 'with') with a Lock")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__enter__()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
