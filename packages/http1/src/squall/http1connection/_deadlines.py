"""The server side's waiting rules: head and body timeouts, and the lingering close.

Kept apart from ``_connection.py`` because they are policy (how long to wait for
what, and how to leave after an error) rather than framing.

Every read of a request is bounded by a deadline, but a keep-alive connection
reads at least once per request and almost every read completes long before its
deadline. ``asyncio.timeout_at`` around each read would arm and cancel a
``TimerHandle`` per read (a heap push, a cancellation and the heap work they
cause in the loop: about a tenth of the server's time on small requests). So a
``DeadlineReader`` keeps **one** timer per connection: each read only stores its
deadline; the timer, armed for the earliest deadline still possibly needed,
re-arms itself for the stored deadline when it fires early, and fails the
waiting read with ``TimeoutError`` when the deadline has really passed (like
``asyncio.timeout_at``'s cancellation, this leaves the stream's buffered bytes
in place). Callers await the stream's read future directly: no coroutine and no
``try``/``finally`` per read.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from squall.http1connection._errors import HTTPParseError
from squall.http1connection._params import HTTP1ConnectionParameters
from squall.http1connection._parser_api import RequestParserAPI
from squall.httputil import HTTPHeaders, RequestStartLine
from squall.iostream import IOStream, StreamClosedError

_LINGER_READ_SIZE = 256 * 1024
_READ_SIZE = 64 * 1024


class SilentCloseError(Exception):
    """No request started in time: close the connection without a response."""


def earliest(first: float | None, second: float | None) -> float | None:
    """The earlier of two loop times (``None``: no deadline)."""
    if first is None:
        return second
    if second is None or first <= second:
        return first
    return second


def after(now: float, timeout: float | None) -> float | None:
    """The loop time ``timeout`` seconds after ``now`` (``None``: no deadline)."""
    return None if timeout is None else now + timeout


class DeadlineReader:
    """Reads a connection's stream into its parser, each read under a deadline.

    One instance per connection (the server connection shares it with every
    request's ``HTTP1Connection``), holding at most one ``TimerHandle`` (see the
    module docstring). ``close()`` cancels the timer; call it when the
    connection ends.

    Args:
        stream: the connection's stream.
        parser: the connection's parser; ``fill`` feeds it (``read`` callers
            feed it themselves).
    """

    __slots__ = (
        "_deadline",
        "_loop",
        "_timer",
        "_timer_at",
        "_waiter",
        "parser",
        "stream",
    )

    def __init__(self, stream: IOStream, parser: RequestParserAPI) -> None:
        self.stream = stream
        self.parser = parser
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._deadline: float | None = None
        self._waiter: asyncio.Future[Any] | None = None

    def time(self) -> float:
        """The event loop's clock (seconds, ``float``), in which deadlines are given."""
        return self._loop.time()

    def read(self, deadline: float | None) -> asyncio.Future[bytes]:
        """Start one read from the stream (at most 64 KiB) under ``deadline``.

        The caller awaits the returned future (the stream's own read future, so
        no coroutine or wrapper per read) and feeds the bytes to the parser.

        Args:
            deadline: loop time (``float``) by which some data must have arrived;
                ``None``: no deadline.

        Returns:
            The stream's read future. It fails with ``TimeoutError`` when the
            deadline passes first (the bytes the stream buffered meanwhile stay
            there for the next read), and with ``StreamClosedError`` when the
            stream closes.

        Raises:
            StreamClosedError: the stream is already closed.
        """
        future = self.stream.read_bytes(_READ_SIZE, partial=True)
        if deadline is None or future.done():  # already buffered: no deadline can pass
            return future
        self.watch(future, deadline)
        return future

    def watch(self, waiter: asyncio.Future[Any], deadline: float | None) -> None:
        """Fail ``waiter`` with ``TimeoutError`` if it is not done by ``deadline``.

        Replaces the future watched before (one waiter at a time). Calling it
        again for the same waiter with a later deadline only stores the deadline
        (the timer re-arms itself when it fires), so a server that answers
        requests without a read future can push its keep-alive deadline forward
        per request at the cost of an attribute store.

        Args:
            waiter: the future to fail.
            deadline: loop time (``float``), or ``None`` for no deadline.
        """
        self._waiter = waiter
        self._deadline = deadline
        if deadline is None:
            return
        timer = self._timer
        if timer is None or self._timer_at > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = self._loop.call_at(deadline, self._on_timer)
            self._timer_at = deadline

    async def fill(self, deadline: float | None) -> None:
        """Read once (see ``read``) and feed the bytes to the parser.

        Args:
            deadline: loop time by which some data must have arrived, or ``None``.

        Raises:
            TimeoutError: ``deadline`` passed first.
            StreamClosedError: the stream closed.
        """
        self.parser.feed(await self.read(deadline))

    def _on_timer(self) -> None:
        self._timer = None
        waiter = self._waiter
        deadline = self._deadline
        if waiter is None or waiter.done() or deadline is None:
            self._waiter = None  # nobody waits: the next read arms a timer again
            return
        if deadline > self._timer_at:  # the wait started after this timer was armed
            self._timer = self._loop.call_at(deadline, self._on_timer)
            self._timer_at = deadline
            return
        # Fail the read rather than cancel it: the awaiting coroutine gets the
        # TimeoutError itself, and a real cancellation stays a CancelledError.
        # The stream drops a read future that is done and keeps its bytes.
        self._waiter = None
        waiter.set_exception(TimeoutError())

    def close(self) -> None:
        """Cancel the timer (idempotent); the connection is over."""
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()


async def read_head(
    parser: RequestParserAPI,
    params: HTTP1ConnectionParameters,
    reader: DeadlineReader,
    started: float | None = None,
) -> tuple[RequestStartLine, HTTPHeaders]:
    """Wait for the next request head under the idle and header timeouts.

    Called once ``parser.next_head()`` has returned ``None`` (the caller tries
    that first, without a coroutine, for heads that are already buffered).

    Before the first byte: ``idle_timeout`` (first request) or
    ``keep_alive_timeout`` (later ones), then ``SilentCloseError``. From the first
    byte: ``header_read_timeout``, then 408. ``header_timeout`` (Tornado's
    ``idle_connection_timeout``) bounds the whole wait, then closes silently, as
    in Tornado.

    Args:
        parser: the connection's parser.
        params: the connection's parameters.
        reader: reads from the connection's stream into ``parser``.
        started: loop time the wait for this head began, if earlier than now
            (the server waited for its first bytes in the stream's data hook);
            ``header_timeout`` counts from it.

    Returns:
        ``(RequestStartLine, HTTPHeaders)``.

    Raises:
        SilentCloseError: an idle or overall timeout.
        HTTPParseError: 408 for a head not complete in time, or any parse error.
        StreamClosedError: the peer went away.
    """
    head = None
    now = reader.time()
    timeout = params.header_timeout
    overall = None if timeout is None else (now if started is None else started) + timeout
    if not parser.buffered:
        idle = params.idle_timeout if parser.heads == 0 else params.keep_alive_timeout
        try:
            parser.feed(await reader.read(earliest(overall, None if idle is None else now + idle)))
        except TimeoutError:
            raise SilentCloseError from None
        head = parser.next_head()
    if head is None:
        read_deadline = after(reader.time(), params.header_read_timeout)
        deadline = earliest(overall, read_deadline)
        try:
            while head is None:
                parser.feed(await reader.read(deadline))
                head = parser.next_head()
        except TimeoutError:
            if deadline == read_deadline:
                raise HTTPParseError("timed out reading the request head", 408) from None
            raise SilentCloseError from None
    return head


async def linger(
    stream: IOStream, parser: RequestParserAPI | None, params: HTTP1ConnectionParameters
) -> None:
    """Lingering close after an error response (what Apache httpd and nginx do).

    Closing a socket whose receive buffer still holds unread data makes the kernel
    send a TCP reset, and a reset can destroy the error response in the client's
    receive buffer before the client reads it (a client still uploading a body it
    was refused typically reads only once it has sent it all). So: half-close
    (send FIN, so the client sees the end of the response), then read and discard
    what the client still sends, for at most ``linger_timeout`` seconds and
    ``linger_max_bytes`` bytes, or until it closes its side. TLS transports cannot
    half-close (a raw FIN would cut the TLS session); those connections only drain.
    The caller closes the stream afterwards.

    Args:
        stream: the connection's stream, with the error response flushed.
        parser: the connection's parser (its buffered input is dropped), if any.
        params: gives ``linger_timeout`` and ``linger_max_bytes``.
    """
    timeout = params.linger_timeout
    if not timeout or stream.closed():
        return
    if asyncio.current_task() is None:
        # Reached while the request ran eagerly in the stream's data hook (see
        # _eager.py): asyncio.timeout needs a task, so continue in the
        # connection's task first.
        await asyncio.sleep(0)
    if parser is not None:
        parser.take_buffered()
    # squall-tcp has no public half-close yet: use the transport's write_eof()
    # (asyncio's and uvloop's TCP transports support it; TLS ones do not).
    transport = getattr(stream, "_transport", None)
    if transport is not None and transport.can_write_eof():
        with contextlib.suppress(OSError, RuntimeError):
            transport.write_eof()
    left = params.linger_max_bytes
    with contextlib.suppress(TimeoutError, StreamClosedError):
        async with asyncio.timeout(timeout):
            while left > 0:
                data = await stream.read_bytes(min(left, _LINGER_READ_SIZE), partial=True)
                left -= len(data)
