"""Find the asyncio event loop a stream or server should live on."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

__all__ = ["current_loop"]


def current_loop() -> asyncio.AbstractEventLoop:
    """Return the running asyncio loop, else the current squall IOLoop's loop.

    Raises:
        RuntimeError: no loop is running and ``squall.ioloop`` cannot provide one.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:
        module: Any = importlib.import_module("squall.ioloop")
    except ImportError:  # pragma: no cover - squall-ioloop is a dependency
        module = None
    ioloop_class = getattr(module, "IOLoop", None)
    if ioloop_class is None:
        raise RuntimeError("no running event loop (start one, or use squall.ioloop.IOLoop)")
    loop: asyncio.AbstractEventLoop = ioloop_class.current().asyncio_loop
    return loop
