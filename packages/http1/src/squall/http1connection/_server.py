"""HTTP1ServerConnection: serves the sequence of requests on one connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

from squall.http1connection._connection import HTTP1Connection
from squall.http1connection._deadlines import DeadlineReader
from squall.http1connection._eager import Resume, run_eagerly
from squall.http1connection._gzip import GzipMessageDelegate
from squall.http1connection._params import HTTP1ConnectionParameters
from squall.http1connection._parser_api import new_parser
from squall.httputil import HTTPMessageDelegate, HTTPServerConnectionDelegate
from squall.iostream import BaseIOStream, IOStream, StreamClosedError
from squall.log import gen_log

#: Requests answered synchronously per received chunk before the rest of a
#: pipelined batch goes to the connection's task (which yields between them).
_MAX_EAGER_REQUESTS = 16
#: Outcomes of a wait in the data hook (see HTTP1ServerConnection._wait_in_hook).
_STOP = object()
_MORE = object()


def _shorter(first: float | None, second: float | None) -> float | None:
    """The shorter of two timeouts in seconds (``None``: no timeout)."""
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


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
        self._delegate: HTTPServerConnectionDelegate | None = None
        # The synchronous path (see _on_stream_data): the future the task awaits
        # while the data hook serves requests, and when that wait began.
        self._waiter: asyncio.Future[object] | None = None
        self._wait_started: float | None = None
        # What read_head applies before the first byte of a head: the shorter of
        # header_timeout and the idle (first request) or keep-alive timeout.
        params = self.params
        self._first_wait = _shorter(params.header_timeout, params.idle_timeout)
        self._next_wait = _shorter(params.header_timeout, params.keep_alive_timeout)

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
        self._delegate = delegate
        try:
            while not self._closing:
                if not self._parser.buffered and self._can_wait_in_hook():
                    # Nothing buffered: wait for the next head in the stream's
                    # data hook, which answers what it can synchronously.
                    outcome = await self._wait_in_hook(reader)
                    if outcome is _STOP:
                        return
                    if outcome is _MORE:
                        continue
                    # A request that has to wait: finish it here, in the task.
                    assert isinstance(outcome, Resume)
                    request: Awaitable[bool] = outcome
                else:
                    conn = self._new_exchange(None)
                    try:
                        request = conn._read_message(self._start_request(conn))
                    except Exception:
                        gen_log.error("Uncaught exception serving HTTP", exc_info=True)
                        conn.close()
                        self._current = None
                        return
                try:
                    keep_going = await request
                except Exception:
                    gen_log.error("Uncaught exception serving HTTP", exc_info=True)
                    if self._current is not None:
                        self._current.close()
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
            self._waiter = None
            reader.close()
            delegate.on_close(self)

    # -- one request ------------------------------------------------------------------

    def _new_exchange(self, started: float | None) -> HTTP1Connection:
        """The ``HTTP1Connection`` for the next request (it becomes ``_current``)."""
        conn = HTTP1Connection(self.stream, False, self.params, self.context)
        conn._parser = self._parser
        conn._reader = self._reader
        if started is not None:
            conn._head_wait_started = started
        self._current = conn
        return conn

    def _start_request(self, conn: HTTP1Connection) -> HTTPMessageDelegate:
        delegate = self._delegate
        assert delegate is not None
        request_delegate = delegate.start_request(self, conn)
        if self.params.decompress:
            request_delegate = GzipMessageDelegate(request_delegate, self.params.chunk_size)
        return request_delegate

    # -- the synchronous path -----------------------------------------------------------
    #
    # While the connection waits for a head with nothing buffered, the task
    # awaits ``_waiter`` and the stream calls ``_on_stream_data`` as soon as bytes
    # arrive (no read future). The hook feeds them to the parser and runs each
    # request's ``_read_message`` coroutine eagerly (``_eager.run_eagerly``): a
    # request whose head and body are buffered, whose delegate methods return
    # None and whose response the transport took at once completes right there.
    # Anything else -- a partial head or body, a chunked body not all here,
    # ``Expect: 100-continue`` with the body still to come, an awaitable from
    # the delegate, a response still flushing, a parse error (its lingering
    # close needs a task), detach or close -- suspends the coroutine, and the
    # task resumes it. The idle and keep-alive deadlines are the waiter's, on the
    # connection's one DeadlineReader timer.

    def _can_wait_in_hook(self) -> bool:
        stream = self.stream
        # Bytes the stream buffered already would not call the hook: read them.
        return not stream.closed() and not stream._buffered_size()

    async def _wait_in_hook(self, reader: DeadlineReader) -> object:
        """Serve requests from the data hook until one needs the task.

        Returns:
            ``_STOP`` (the connection is over), ``_MORE`` (go on in the task:
            pipelined requests over the per-call bound, or closing), or the
            ``Resume`` of a request that has to wait.
        """
        stream = self.stream
        waiter: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._watch_idle(waiter)
        # Its close fails no read here: the close callback wakes the task instead
        # (it stays set afterwards; with no waiter it does nothing).
        stream.set_close_callback(self._on_close_while_waiting)
        stream._set_data_hook(self._on_stream_data)
        try:
            return await waiter
        except TimeoutError:
            # Idle, keep-alive or header_timeout before any byte: close silently,
            # as read_head's SilentCloseError does.
            stream.close()
            return _STOP
        except StreamClosedError:
            return _STOP
        finally:
            self._waiter = None
            stream._set_data_hook(None)

    def _watch_idle(self, waiter: asyncio.Future[object]) -> None:
        """Start the wait for a head: the deadlines read_head would use before a byte.

        Runs once per request answered in the hook, so the timeouts are combined
        once per connection (``_first_wait``, ``_next_wait``).
        """
        reader = self._reader
        assert reader is not None
        now = reader.time()
        self._wait_started = now
        wait = self._next_wait if self._parser.heads else self._first_wait
        reader.watch(waiter, None if wait is None else now + wait)

    def _on_close_while_waiting(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(StreamClosedError())

    def _on_stream_data(self, stream: BaseIOStream) -> None:
        """The stream's data hook: answer the requests that need no waiting."""
        waiter = self._waiter
        if waiter is None or waiter.done():  # the task is taking over: leave the bytes
            stream._set_data_hook(None)
            return
        parser = self._parser
        parser.feed(stream._read_buffered())
        for _ in range(_MAX_EAGER_REQUESTS):
            outcome = self._serve_eagerly()
            if outcome is not None:
                stream._set_data_hook(None)
                waiter.set_result(outcome)
                return
            if self._closing:
                break
            if not parser.buffered:
                self._watch_idle(waiter)  # keep-alive: wait for the next head
                return
        # Fairness: a pipelining client gets at most _MAX_EAGER_REQUESTS answers
        # per received chunk here; the task serves the rest, yielding between them.
        stream._set_data_hook(None)
        waiter.set_result(_MORE)

    def _serve_eagerly(self) -> object | None:
        """Run one request eagerly: None if it completed and the connection goes on."""
        started = self._wait_started
        self._wait_started = None  # a pipelined head's wait starts when it is read
        conn = self._new_exchange(started)
        try:
            done, result = run_eagerly(conn._read_message(self._start_request(conn)))
        except Exception:
            gen_log.error("Uncaught exception serving HTTP", exc_info=True)
            conn.close()
            self._current = None
            return _STOP
        if not done:
            return result  # the Resume; conn stays _current until the task ends it
        self._current = None
        return None if result else _STOP
