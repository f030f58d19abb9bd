"""File-descriptor handlers: ``IOLoop.add_handler`` on asyncio's reader/writer callbacks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any, Protocol

from squall.log import app_log

READ = 0x001
WRITE = 0x004
ERROR = 0x018


class Selectable(Protocol):
    def fileno(self) -> int: ...
    def close(self) -> None: ...


FileLike = int | Selectable
Handler = Callable[[Any, int], None]


def split_fd(fd: FileLike) -> tuple[int, FileLike]:
    if isinstance(fd, int):
        return fd, fd
    return fd.fileno(), fd


def close_fd(fd: FileLike) -> None:
    try:
        if isinstance(fd, int):
            os.close(fd)
        else:
            fd.close()
    except OSError:
        pass


class FDRegistry:
    """The descriptors an IOLoop watches, mapped onto ``add_reader``/``add_writer``.

    asyncio reports readability and writability separately and has no error
    event: an error shows up as the descriptor being readable (and writable),
    which is what Tornado's asyncio-based IOLoop reports too.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.handlers: dict[int, tuple[FileLike, Handler]] = {}
        self.readers: set[int] = set()
        self.writers: set[int] = set()

    def add(self, fd: FileLike, handler: Handler, events: int) -> None:
        fileno, fileobj = split_fd(fd)
        if fileno in self.handlers:
            raise ValueError(f"fd {fileno} added twice")
        self.handlers[fileno] = (fileobj, handler)
        self.set_events(fileno, events)

    def remove(self, fd: FileLike) -> FileLike | None:
        fileno, _ = split_fd(fd)
        entry = self.handlers.pop(fileno, None)
        if entry is None:
            return None
        self.set_events(fileno, 0)
        return entry[0]

    def set_events(self, fileno: int, events: int) -> None:
        loop = self.loop
        if events & READ:
            if fileno not in self.readers:
                loop.add_reader(fileno, self._dispatch, fileno, READ)
                self.readers.add(fileno)
        elif fileno in self.readers:
            loop.remove_reader(fileno)
            self.readers.discard(fileno)
        if events & WRITE:
            if fileno not in self.writers:
                loop.add_writer(fileno, self._dispatch, fileno, WRITE)
                self.writers.add(fileno)
        elif fileno in self.writers:
            loop.remove_writer(fileno)
            self.writers.discard(fileno)

    def _dispatch(self, fileno: int, events: int) -> None:
        entry = self.handlers.get(fileno)
        if entry is None:
            return
        fileobj, handler = entry
        try:
            handler(fileobj, events)
        except Exception:
            app_log.error("Exception in I/O handler for fd %s", fileno, exc_info=True)
