"""One request/response exchange on one connection: the client's message delegate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from squall.http1connection import HTTP1Connection
from squall.httputil import (
    HTTPHeaders,
    HTTPMessageDelegate,
    RequestStartLine,
    ResponseStartLine,
)

#: Seconds to wait for ``100 Continue`` (or any response) before sending the body of a
#: request with ``Expect: 100-continue`` anyway (curl waits one second too).
CONTINUE_TIMEOUT = 1.0


class Exchange(HTTPMessageDelegate):
    """Sends one request on an ``HTTP1Connection`` and collects the response.

    Args:
        conn: a client-side ``HTTP1Connection``.
        request: the request (through the client's defaults).
        discard: ``discard(code, headers)`` returns ``True`` when the response
            body is not wanted (a redirect that will be followed, a digest
            challenge that will be answered): callbacks are then not called.
    """

    def __init__(
        self,
        conn: HTTP1Connection,
        request: Any,
        discard: Callable[[int, HTTPHeaders], bool],
    ) -> None:
        self.conn = conn
        self.request = request
        self._discard_fn = discard
        self.discarding = False
        self.code: int | None = None
        self.reason = ""
        self.headers: HTTPHeaders | None = None  # set with the final response's head
        self.chunks: list[bytes] = []
        self.finished = False
        #: ``time.monotonic()`` when the connection was ready and when the final response
        #: head arrived (for ``HTTPResponse.time_info``).
        self.connect_time = 0.0
        self.head_time: float | None = None
        self._body_sent = False
        self._body_task: asyncio.Task[None] | None = None
        self._body_error: BaseException | None = None

    async def send(self, start_line: RequestStartLine, headers: HTTPHeaders) -> bool:
        """Write the request and read the response.

        Returns:
            ``True`` once the response was read, ``False`` if the connection closed
            first.

        Raises:
            HTTPInputError: a malformed response (from ``read_response``).
            HTTPOutputError: the request head could not be written.
        """
        conn = self.conn
        # Not awaited: the head is small, and whatever follows on the stream (body,
        # response) is ordered after it; a failed write closes the stream, which the
        # body write or the response read then reports. Saves loop iterations per
        # request.
        conn.write_headers(start_line, headers)
        request = self.request
        if not request.expect_100_continue:
            if request.body is None and request.body_producer is None:
                self._body_sent = True  # nothing to write: no coroutine for it
                conn.finish()
            else:
                await self.write_body()
            return await conn.read_response(self)
        # RFC 9110 §10.1.1: a client that sent Expect: 100-continue need not wait
        # forever for the 100 (the server may not know Expect at all): like curl,
        # send the body anyway after a second without any response.
        timer = asyncio.get_running_loop().call_later(CONTINUE_TIMEOUT, self._continue_anyway)
        try:
            ok = await conn.read_response(self)
        finally:
            timer.cancel()
            task = self._body_task
            if task is not None and not task.done():
                # The response ended (or failed) before the body was out: the
                # connection is closed then, and the rest of the body not wanted.
                task.cancel()
        if not ok and self._body_error is not None:
            raise self._body_error  # why the connection was closed
        return ok

    def _continue_anyway(self) -> None:
        if self._body_sent or self.code is not None:
            return
        task = asyncio.get_running_loop().create_task(self.write_body())
        task.add_done_callback(self._body_written)
        self._body_task = task

    def _body_written(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and self._body_error is None:
            # The body could not be sent (a failing body_producer, a closed
            # stream): end the response read and report this error instead.
            self._body_error = error
            self.conn.stream.close()

    async def write_body(self) -> None:
        """Write the body (``body`` or ``body_producer``) and finish the request."""
        if self._body_sent:
            return
        self._body_sent = True
        conn = self.conn
        request = self.request
        if request.body is not None:
            await conn.write(request.body)
        elif request.body_producer is not None:
            await request.body_producer(conn.write)
        conn.finish()

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Any:
        """Record the status and headers; run ``header_callback`` for a kept response."""
        assert isinstance(start_line, ResponseStartLine)
        if start_line.code == 100:
            return self.write_body()  # our Expect: 100-continue was accepted
        self.head_time = time.monotonic()
        self.code = start_line.code
        self.reason = start_line.reason
        self.headers = headers
        self.discarding = self._discard_fn(start_line.code, headers)
        callback = self.request.header_callback
        if callback is not None and not self.discarding:
            callback(f"{start_line.version} {start_line.code} {start_line.reason}\r\n")
            for name, value in headers.get_all():
                callback(f"{name}: {value}\r\n")
            callback("\r\n")
        return None

    def data_received(self, chunk: bytes) -> None:
        """Collect a body chunk, or pass it to ``streaming_callback``."""
        if self.discarding:
            return
        callback = self.request.streaming_callback
        if callback is not None:
            callback(chunk)
        else:
            self.chunks.append(chunk)

    def finish(self) -> None:
        """Note that the response is complete."""
        self.finished = True
