"""The event loop (Tornado's ``tornado.ioloop``).

:class:`IOLoop` is a thin layer over :mod:`asyncio`: one ``IOLoop`` per asyncio
event loop (the standard one or any other, such as uvloop's), callbacks and
timeouts scheduled on it, and :class:`PeriodicCallback` for repeating work.
"""

from squall.ioloop._asyncio_loops import AsyncIOLoop, AsyncIOMainLoop, BaseAsyncIOLoop
from squall.ioloop._ioloop import IOLoop
from squall.ioloop._periodic import PeriodicCallback

__all__ = ["AsyncIOLoop", "AsyncIOMainLoop", "BaseAsyncIOLoop", "IOLoop", "PeriodicCallback"]
