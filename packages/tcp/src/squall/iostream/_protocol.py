"""The asyncio protocol that feeds a stream's read buffer."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.iostream._base import BaseIOStream

__all__ = ["StreamProtocol"]

_DEFAULT_CHUNK = 65536  # a stream always gives its own read_chunk_size; this is a fallback
_MAX_SIZES = 8  # scratch buffers kept per thread (one per distinct read_chunk_size)


class _Scratch(threading.local):
    """Per-thread receive buffers, one per chunk size: ``{size: memoryview}``."""

    def __init__(self) -> None:
        self.views: dict[int, memoryview] = {}


_scratch = _Scratch()


def _scratch_view(size: int) -> memoryview:
    views = _scratch.views
    view = views.get(size)
    if view is None:
        if len(views) >= _MAX_SIZES:  # many distinct sizes: do not hoard buffers
            views.clear()
        view = views[size] = memoryview(bytearray(size))
    return view


class StreamProtocol(asyncio.BufferedProtocol):
    """Forward transport events to a :class:`BaseIOStream`.

    Either built for an existing stream (``IOStream(socket)`` and ``connect``), or
    with an ``on_connection`` callback that builds the stream when the transport is
    ready (the server path, so no extra task or hop per accepted connection).

    It is a *buffered* protocol: with a plain ``Protocol``, asyncio's transports
    ``recv`` up to 256 KiB into a new ``bytes`` object each time, an allocation
    that glibc serves with ``mmap``/``mremap``/``munmap`` system calls and fresh
    page faults, even for a 64-byte message. Here the transport receives into a
    per-thread scratch buffer of the stream's ``read_chunk_size`` and the stream
    copies the bytes out (the one copy ``recv`` makes anyway).
    One scratch buffer serves every stream of a thread: a transport calls
    ``get_buffer`` and then ``buffer_updated`` back to back, with no other code in
    between, and ``buffer_updated`` copies the bytes out before anything else.
    Transports that do not support buffered protocols (asyncio's pipe
    transports) call :meth:`data_received` instead.
    """

    __slots__ = ("_on_connection", "_view", "stream")

    def __init__(
        self,
        stream: BaseIOStream | None = None,
        on_connection: Callable[[StreamProtocol, asyncio.BaseTransport], None] | None = None,
    ) -> None:
        self.stream = stream
        self._on_connection = on_connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Attach the ready transport to the stream (or build the stream)."""
        on_connection = self._on_connection
        if on_connection is not None:
            self._on_connection = None
            on_connection(self, transport)
            return
        stream = self.stream
        if stream is None:  # pragma: no cover - always set on this path
            transport.close()
            return
        stream._attach(transport)

    def data_received(self, data: bytes) -> None:
        """Append received bytes to the stream's read buffer."""
        stream = self.stream
        if stream is not None:
            stream._on_data(data)

    def eof_received(self) -> bool:
        """The peer closed its side: close the stream (no half-open streams)."""
        stream = self.stream
        if stream is not None:
            stream._on_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """Close the stream, recording ``exc`` as its error."""
        stream = self.stream
        if stream is not None:
            stream._on_lost(exc)

    def pause_writing(self) -> None:
        """The transport holds unsent data: write futures must wait."""
        stream = self.stream
        if stream is not None:
            stream._write_paused = True

    def resume_writing(self) -> None:
        """The transport's buffer is empty: resolve the waiting write futures."""
        stream = self.stream
        if stream is not None:
            stream._on_drained()

    def get_buffer(self, sizehint: int) -> memoryview:
        """Return the scratch buffer to receive into (``read_chunk_size`` bytes)."""
        del sizehint  # -1 from asyncio's socket transports: "any size"
        stream = self.stream
        view = _scratch_view(_DEFAULT_CHUNK if stream is None else stream.read_chunk_size)
        self._view = view
        return view

    def buffer_updated(self, nbytes: int) -> None:
        """``nbytes`` were received into the scratch buffer: hand them to the stream.

        The stream copies them at once, straight into its own buffer (a new
        ``bytes`` chunk, or the end of a ``bytearray`` that is accumulating data).
        """
        stream = self.stream
        if stream is not None:
            stream._on_data(self._view[:nbytes])
