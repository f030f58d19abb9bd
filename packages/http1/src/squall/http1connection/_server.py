"""HTTP1ServerConnection: serves the sequence of requests on one connection."""

from __future__ import annotations

import asyncio
import contextlib

from squall.http1connection._connection import HTTP1Connection
from squall.http1connection._deadlines import DeadlineReader
from squall.http1connection._gzip import GzipMessageDelegate
from squall.http1connection._params import HTTP1ConnectionParameters
from squall.http1connection._parser_api import new_parser
from squall.httputil import HTTPServerConnectionDelegate
from squall.iostream import IOStream
from squall.log import gen_log


class HTTP1ServerConnection:
    """The server side of one HTTP/1.x connection (Tornado's ``HTTP1ServerConnection``).

    Reads requests one after another (pipelined requests are answered in order,
    RFC 9112 §9.3.2), making an ``HTTP1Connection`` and asking the delegate for a
    message delegate for each.

    Besides Tornado's ``start_serving`` and ``close``, it supports a graceful
    shutdown: ``idle`` tells whether a request is in progress, and
    ``close_gracefully(timeout)`` lets the current request finish (answered with
    ``Connection: close`` when its head is not written yet, RFC 9112 §9.6) before
    closing.

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
        self._parser = new_parser(self.params)
        self._reader: DeadlineReader | None = None
        self._serving_future: asyncio.Task[None] | None = None
        self._current: HTTP1Connection | None = None
        self._closing = False

    @property
    def idle(self) -> bool:
        """``True`` while no request is in progress (waiting for a head, nothing buffered).

        A connection kept alive between requests is idle; one whose request head
        has started to arrive, or whose response is still being written, is not.
        """
        conn = self._current
        if conn is None:
            return not self._parser.buffered
        return conn._request_start_line is None and not self._parser.buffered

    def start_serving(self, delegate: HTTPServerConnectionDelegate) -> None:
        """Start reading requests in a task on the running event loop.

        Args:
            delegate: an ``HTTPServerConnectionDelegate``; its ``start_request`` is
                called per request and ``on_close`` when the connection ends.
        """
        task = asyncio.get_running_loop().create_task(self._server_request_loop(delegate))
        self._serving_future = task

    async def close(self) -> None:
        """Close the connection now and wait until the request loop has stopped.

        A request in progress is cut off (its delegate's ``on_connection_close``
        runs), as in Tornado.
        """
        self._closing = True
        self.stream.close()
        await self._wait_serving()

    async def close_gracefully(self, timeout: float | None = None) -> None:
        """Finish the request in progress, if any, then close the connection.

        An idle connection is closed at once. Otherwise no further request is read
        on this connection; the response being produced gets ``Connection: close``
        if its head is not written yet, and the connection closes when it is
        finished, or after ``timeout`` seconds, whichever comes first.

        Args:
            timeout: seconds (``float``) to wait for the request in progress;
                ``None`` waits as long as it takes, ``0`` closes at once.
        """
        self._closing = True
        conn = self._current
        if conn is not None and not conn._response_started:
            conn.no_keep_alive = True  # read when the head arrives
            conn._disconnect_on_finish = True  # in case it has arrived
        if self.idle or (timeout is not None and timeout <= 0):
            await self.close()
            return
        task = self._serving_future
        try:
            if task is not None and not task.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), timeout)
        finally:
            self.stream.close()  # even when cancelled
        await self.close()

    async def _wait_serving(self) -> None:
        if self._serving_future is not None:
            with contextlib.suppress(Exception):
                await self._serving_future

    async def _server_request_loop(self, delegate: HTTPServerConnectionDelegate) -> None:
        reader = self._reader = DeadlineReader(self.stream, self._parser)
        try:
            while not self._closing:
                conn = HTTP1Connection(self.stream, False, self.params, self.context)
                conn._parser = self._parser
                conn._reader = reader
                self._current = conn
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
                finally:
                    self._current = None
                if not keep_going:
                    return
                if self._parser.buffered:
                    # A pipelined request is already here and would be served
                    # without suspending: yield once so that one client's
                    # pipelining flood cannot starve the other connections. (With
                    # nothing buffered the next read suspends anyway.)
                    await asyncio.sleep(0)
            self.stream.close()
        finally:
            reader.close()
            delegate.on_close(self)
