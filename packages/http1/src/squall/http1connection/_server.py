"""HTTP1ServerConnection: serves the sequence of requests on one connection."""

from __future__ import annotations

import asyncio
import contextlib

from squall.http1connection._connection import HTTP1Connection
from squall.http1connection._gzip import GzipMessageDelegate
from squall.http1connection._params import HTTP1ConnectionParameters
from squall.http1connection._parser import DEFAULT_MAX_REQUEST_LINE, RequestParser
from squall.httputil import HTTPServerConnectionDelegate
from squall.iostream import IOStream
from squall.log import gen_log


class HTTP1ServerConnection:
    """The server side of one HTTP/1.x connection (Tornado's ``HTTP1ServerConnection``).

    Reads requests one after another (pipelined requests are answered in order,
    RFC 9112 §9.3.2), making an ``HTTP1Connection`` and asking the delegate for a
    message delegate for each.

    Args:
        stream: the accepted ``IOStream``.
        params: ``HTTP1ConnectionParameters`` (defaults if ``None``).
        context: opaque peer description passed to every ``HTTP1Connection``.
    """

    def __init__(
        self,
        stream: IOStream,
        params: HTTP1ConnectionParameters | None = None,
        context: object | None = None,
    ) -> None:
        self.stream = stream
        self.params = params if params is not None else HTTP1ConnectionParameters()
        self.context = context
        self._parser = RequestParser(
            max_request_line=min(DEFAULT_MAX_REQUEST_LINE, self.params.max_header_size),
            max_header_size=self.params.max_header_size,
        )
        self._serving_future: asyncio.Task[None] | None = None

    def start_serving(self, delegate: HTTPServerConnectionDelegate) -> None:
        """Start reading requests in a task on the running event loop.

        Args:
            delegate: an ``HTTPServerConnectionDelegate``; its ``start_request`` is
                called per request and ``on_close`` when the connection ends.
        """
        task = asyncio.get_running_loop().create_task(self._server_request_loop(delegate))
        self._serving_future = task

    async def close(self) -> None:
        """Close the connection and wait until the request loop has stopped."""
        self.stream.close()
        if self._serving_future is not None:
            with contextlib.suppress(Exception):
                await self._serving_future

    async def _server_request_loop(self, delegate: HTTPServerConnectionDelegate) -> None:
        try:
            while True:
                conn = HTTP1Connection(self.stream, False, self.params, self.context)
                conn._parser = self._parser
                try:
                    request_delegate = delegate.start_request(self, conn)
                    if self.params.decompress:
                        request_delegate = GzipMessageDelegate(
                            request_delegate, self.params.chunk_size
                        )
                    keep_going = await conn._read_message(request_delegate)
                except Exception:
                    gen_log.error("Uncaught exception serving HTTP", exc_info=True)
                    conn.close()
                    return
                if not keep_going:
                    return
                if not self._parser.buffered:
                    await asyncio.sleep(0)
        finally:
            delegate.on_close(self)
