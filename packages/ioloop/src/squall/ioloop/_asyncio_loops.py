"""The concrete IOLoops: one wraps a running asyncio loop, one creates its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from squall.ioloop._ioloop import IOLoop

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


class BaseAsyncIOLoop(IOLoop):
    """Common base of the asyncio-backed IOLoop implementations."""

    def initialize(  # type: ignore[override]
        self, asyncio_loop: asyncio.AbstractEventLoop, make_current: bool = False
    ) -> None:
        """Bind to ``asyncio_loop``."""
        self._register(asyncio_loop)
        super().initialize(make_current=make_current)


class AsyncIOMainLoop(BaseAsyncIOLoop):
    """An IOLoop wrapping an existing asyncio loop (by default the running one).

    Created implicitly by :meth:`IOLoop.current`, for any asyncio event loop
    (uvloop's included). Closing it closes the asyncio loop.

    Raises:
        RuntimeError: if no asyncio loop is running.
    """

    def initialize(  # type: ignore[override]
        self, asyncio_loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any
    ) -> None:
        """Bind to ``asyncio_loop`` (default: the running asyncio loop)."""
        super().initialize(asyncio_loop or asyncio.get_running_loop(), **kwargs)


class AsyncIOLoop(BaseAsyncIOLoop):
    """An IOLoop that owns a brand-new asyncio event loop (what ``IOLoop()`` builds).

    ``loop_factory`` is a squall addition that picks the kind of asyncio loop
    without the deprecated event-loop policy API; for uvloop::

        import uvloop
        from squall.ioloop import AsyncIOLoop, IOLoop

        loop = IOLoop(loop_factory=uvloop.new_event_loop)       # one loop
        IOLoop.configure(AsyncIOLoop, loop_factory=uvloop.new_event_loop)  # every IOLoop()

    Args:
        make_current: make it the thread's current loop (default true).
        loop_factory: zero-argument callable returning a new asyncio event loop
            (default :func:`asyncio.new_event_loop`).
    """

    def initialize(  # type: ignore[override]
        self, loop_factory: LoopFactory | None = None, **kwargs: Any
    ) -> None:
        """Create a new asyncio event loop with ``loop_factory`` and bind to it."""
        loop = loop_factory() if loop_factory is not None else asyncio.new_event_loop()
        try:
            kwargs.setdefault("make_current", True)
            super().initialize(loop, **kwargs)
        except Exception:
            loop.close()
            raise
