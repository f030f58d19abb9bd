"""The asyncio protocol that feeds a stream's read buffer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.iostream._base import BaseIOStream

__all__ = ["StreamProtocol"]


class StreamProtocol(asyncio.Protocol):
    """Forward transport events to a :class:`BaseIOStream`.

    Either built for an existing stream (``IOStream(socket)`` and ``connect``), or
    with an ``on_connection`` callback that builds the stream when the transport is
    ready (the server path, so no extra task or hop per accepted connection).
    """

    __slots__ = ("_on_connection", "stream")

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
