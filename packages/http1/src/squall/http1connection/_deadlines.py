"""The server side's waiting rules: head timeouts and the lingering close.

Kept apart from ``_connection.py`` because they are policy (how long to wait for
what, and how to leave after an error) rather than framing. Every deadline is an
``asyncio.timeout_at`` around the one read that waits, so a timeout costs one
timer handle and cancels only that read (the stream keeps its buffered bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from squall.http1connection._errors import HTTPParseError
from squall.http1connection._params import HTTP1ConnectionParameters
from squall.http1connection._parser_api import RequestParserAPI
from squall.httputil import HTTPHeaders, RequestStartLine
from squall.iostream import IOStream, StreamClosedError

_LINGER_READ_SIZE = 256 * 1024


class SilentCloseError(Exception):
    """No request started in time: close the connection without a response."""


def earliest(*deadlines: float | None) -> float | None:
    """The earliest of the given loop times (``None``: no deadline)."""
    present = [d for d in deadlines if d is not None]
    return min(present) if present else None


def after(now: float, timeout: float | None) -> float | None:
    """The loop time ``timeout`` seconds after ``now`` (``None``: no deadline)."""
    return None if timeout is None else now + timeout


async def read_head(
    parser: RequestParserAPI,
    params: HTTP1ConnectionParameters,
    fill: Callable[[], Awaitable[None]],
) -> tuple[RequestStartLine, HTTPHeaders]:
    """Wait for the next request head under the idle and header timeouts.

    Before the first byte: ``idle_timeout`` (first request) or
    ``keep_alive_timeout`` (later ones), then ``SilentCloseError``. From the first
    byte: ``header_read_timeout``, then 408. ``header_timeout`` (Tornado's
    ``idle_connection_timeout``) bounds the whole wait, then closes silently, as
    in Tornado.

    Args:
        parser: the connection's parser.
        params: the connection's parameters.
        fill: reads once from the stream into ``parser``.

    Returns:
        ``(RequestStartLine, HTTPHeaders)``.

    Raises:
        SilentCloseError: an idle or overall timeout.
        HTTPParseError: 408 for a head not complete in time, or any parse error.
        StreamClosedError: the peer went away.
    """
    head = parser.next_head()
    if head is not None:
        return head
    loop = asyncio.get_running_loop()
    overall = after(loop.time(), params.header_timeout)
    if not parser.buffered:
        idle = params.idle_timeout if parser.heads == 0 else params.keep_alive_timeout
        try:
            async with asyncio.timeout_at(earliest(overall, after(loop.time(), idle))):
                await fill()
        except TimeoutError:
            raise SilentCloseError from None
        head = parser.next_head()
    if head is None:
        read_deadline = after(loop.time(), params.header_read_timeout)
        deadline = earliest(overall, read_deadline)
        try:
            async with asyncio.timeout_at(deadline):
                while head is None:
                    await fill()
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
