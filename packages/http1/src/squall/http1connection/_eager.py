"""Running a coroutine eagerly, outside any task, and resuming it in one later.

The HTTP/1.1 server answers most requests without ever waiting: the head and
body are in the buffer, the application's delegate returns ``None`` and the
response is taken by the transport at once. Running the request coroutine in a
task would still cost a read future and a task wake-up per request. So the
server starts the coroutine right inside the stream's data hook
(``run_eagerly``): when it runs to completion there, nothing was scheduled at
all. When it has to wait (a partial head or body, an awaitable returned by the
delegate, a response still being flushed...) it yields a future like any
coroutine; ``run_eagerly`` then returns a ``Resume`` that the connection's task
awaits, which hands that future to the task and drives the rest of the
coroutine there, exactly as ``await`` would have (values sent in, exceptions
and cancellation thrown in, ``close`` on garbage collection).

This is the request coroutine itself, not a second implementation of it, so the
eager path and the task path cannot diverge; only code that needs a *task*
(``asyncio.timeout``) must first yield once (see ``_deadlines.linger``).
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")


class Resume(Generic[_T]):
    """An awaitable that continues a coroutine suspended at ``yielded``.

    Awaited once, inside a task; the result is the coroutine's return value.

    Args:
        coro: the started coroutine.
        yielded: what it yielded last (a future to wait for, or ``None``).
    """

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, _T], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, _T]:
        coro = self._coro
        value = self._yielded
        self._yielded = None
        # What `yield from` does for a generator, spelled out for a coroutine
        # that was started elsewhere (`await` refuses a suspended coroutine).
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]

    def close(self) -> None:
        """Close the coroutine without running the rest of it."""
        self._coro.close()


def run_eagerly(coro: Coroutine[Any, Any, _T]) -> tuple[bool, _T | Resume[_T]]:
    """Run ``coro`` until it finishes or first waits, in the current call stack.

    Args:
        coro: a coroutine not started yet.

    Returns:
        ``(True, its return value)`` if it finished, else ``(False, Resume)``
        for a task to await.

    Raises:
        BaseException: whatever the coroutine raised.
    """
    try:
        yielded = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, Resume(coro, yielded)
