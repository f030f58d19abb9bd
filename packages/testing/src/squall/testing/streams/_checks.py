"""The stream conformance checks (after trio's ``trio.testing.check_two_way_stream``).

Every stream kind (:class:`~squall.iostream.IOStream`,
:class:`~squall.iostream.SSLIOStream` on either side,
:class:`~squall.iostream.PipeIOStream`, or a stream class of your own built on
:class:`~squall.iostream.BaseIOStream`) must behave the same way to the code
above it. The checks here state that behaviour once: each is an ``async``
function taking a *pair factory* and raising :class:`AssertionError` on a
violation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from squall.iostream import (
    BaseIOStream,
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
)


class PairFactory(Protocol):
    """Builds ``(sender, receiver)``: connected streams, ``sender`` writes to ``receiver``."""

    def __call__(
        self, *, max_buffer_size: int | None = None, max_write_buffer_size: int | None = None
    ) -> Awaitable[tuple[BaseIOStream, BaseIOStream]]:
        """Return a new connected pair with the given limits (bytes; None: default)."""
        ...


Check = Callable[[PairFactory], Awaitable[None]]
"""The type of a check: ``async def check(make_pair: PairFactory) -> None``."""


def reversed_pair(factory: PairFactory) -> PairFactory:
    """Return a factory for the other direction of a two-way stream kind.

    Args:
        factory: a factory returning ``(a, b)``.

    Returns:
        A factory returning ``(b, a)``: ``b`` sends, ``a`` receives.
    """

    async def make(
        *, max_buffer_size: int | None = None, max_write_buffer_size: int | None = None
    ) -> tuple[BaseIOStream, BaseIOStream]:
        a, b = await factory(
            max_buffer_size=max_buffer_size, max_write_buffer_size=max_write_buffer_size
        )
        return b, a

    return make


# ---------------------------------------------------------------------- helpers


async def _pause(seconds: float = 0.01) -> None:
    """Let the loop run so separate writes arrive as separate reads."""
    await asyncio.sleep(seconds)


async def _wait_closed(stream: BaseIOStream, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not stream.closed():
        assert asyncio.get_running_loop().time() < deadline, "stream never noticed the close"
        await asyncio.sleep(0.002)


async def _close_both(*streams: BaseIOStream) -> None:
    for stream in streams:
        stream.close()
    await asyncio.sleep(0.01)  # let transports (and TLS shutdowns) finish


async def _fill_until_pending(sender: BaseIOStream, chunk: int = 1 << 20) -> asyncio.Future[None]:
    """Write until a write stays unflushed (the receiver is not reading); return it.

    Loopback TCP buffers can hold several megabytes, so keep writing (up to 256
    MiB) until one write's future is still pending after a short wait.
    """
    payload = b"x" * chunk
    for _ in range(256):
        future = sender.write(payload)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(future), 0.02)
        if not future.done():
            return future
    raise AssertionError("writes never blocked although the receiver does not read")


def _expect_closed_error(future: asyncio.Future[Any]) -> BaseException:
    exc = future.exception()
    assert isinstance(exc, StreamClosedError), exc
    return exc


# ----------------------------------------------------------------------- checks


async def check_partial_reads(make_pair: PairFactory) -> None:
    """``read_bytes``/``read_into`` with ``partial`` resolve with what has arrived.

    Also: exact reads wait for all their bytes across several writes, a second
    concurrent read raises ``RuntimeError``, and zero-byte reads resolve at once.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    sender, receiver = await make_pair()
    try:
        assert await receiver.read_bytes(0) == b""
        await sender.write(b"hello")
        got = await receiver.read_bytes(100, partial=True)
        assert got and b"hello".startswith(got)
        rest = b"hello"[len(got) :]
        if rest:
            assert await receiver.read_bytes(len(rest)) == rest
        read = receiver.read_bytes(6)
        with contextlib.suppress(RuntimeError):
            receiver.read_bytes(1)
            raise AssertionError("a second pending read must raise RuntimeError")
        await sender.write(b"abc")
        await _pause()
        assert not read.done()
        await sender.write(b"defgh")
        assert await read == b"abcdef"
        buf = bytearray(10)
        count = await receiver.read_into(buf, partial=True)
        assert 1 <= count <= 2
        assert buf[:count] == b"gh"[:count]
        if count == 1:
            assert await receiver.read_bytes(1) == b"h"
        whole = bytearray(4)
        into = receiver.read_into(whole)
        await sender.write(b"wx")
        await _pause()
        assert not into.done()
        await sender.write(b"yz!")
        assert await into == 4
        assert whole == b"wxyz"
        assert await receiver.read_bytes(1) == b"!"
    finally:
        await _close_both(sender, receiver)


async def check_delimiters_split_across_packets(make_pair: PairFactory) -> None:
    """A delimiter (or regex match) split over several arrivals is still found.

    Also several delimited messages arriving in one packet are read one by one.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    sender, receiver = await make_pair()
    try:
        read = receiver.read_until(b"\r\n\r\n")
        for piece in (b"GET / HTTP/1.1\r", b"\nHost: x\r\n", b"\r", b"\n"):
            await sender.write(piece)
            await _pause()
        assert await read == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        read = receiver.read_until(b"--boundary--", max_bytes=64)
        for byte in b"body--bou":
            await sender.write(bytes([byte]))
        await _pause()
        assert not read.done()
        await sender.write(b"ndary--tail")
        assert await read == b"body--boundary--"
        regex = receiver.read_until_regex(rb"\d+;")
        await sender.write(b" 12")
        await _pause()
        assert not regex.done()
        await sender.write(b"3;one\ntwo\nthree\n")
        assert await regex == b"tail 123;"
        for line in (b"one\n", b"two\n", b"three\n"):
            assert await receiver.read_until(b"\n") == line
    finally:
        await _close_both(sender, receiver)


async def check_max_bytes(make_pair: PairFactory) -> None:
    """``read_until(max_bytes=)`` succeeds up to the limit and closes beyond it.

    A delimiter ending exactly at ``max_bytes`` is accepted (as in Tornado); one not
    found within ``max_bytes`` fails the read with an error that is both
    :class:`UnsatisfiableReadError` and :class:`StreamClosedError`, and closes the
    receiving stream.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    sender, receiver = await make_pair()
    try:
        await sender.write(b"12345\n")
        assert await receiver.read_until(b"\n", max_bytes=6) == b"12345\n"
        read = receiver.read_until(b"\n", max_bytes=8)
        await sender.write(b"0123")
        await _pause()
        assert not read.done()
        await sender.write(b"456789\n")
        error = await asyncio.wait_for(asyncio.gather(read, return_exceptions=True), 5)
        assert isinstance(error[0], UnsatisfiableReadError), error
        assert isinstance(error[0], StreamClosedError)
        assert isinstance(error[0].real_error, UnsatisfiableReadError)
        assert receiver.closed()
    finally:
        await _close_both(sender, receiver)
    sender, receiver = await make_pair()
    try:
        await sender.write(b"no delimiter in sight")
        await _pause()
        try:
            await receiver.read_until_regex(rb"\n", max_bytes=10)
        except UnsatisfiableReadError:
            pass
        else:
            raise AssertionError("read_until_regex beyond max_bytes must fail")
        assert receiver.closed()
    finally:
        await _close_both(sender, receiver)


async def check_close_during_read(make_pair: PairFactory) -> None:
    """A pending read fails with :class:`StreamClosedError` when either end closes.

    The close callback runs once; what was buffered stays readable (Tornado), and
    once it is drained reads raise at once.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    sender, receiver = await make_pair()
    try:
        calls: list[int] = []
        receiver.set_close_callback(lambda: calls.append(1))
        read = receiver.read_until(b"\n")
        await sender.write(b"partial line")
        await _pause()
        sender.close()  # the peer goes away mid-read
        done, _ = await asyncio.wait([read], timeout=5)
        assert done, "the pending read did not fail when the peer closed"
        _expect_closed_error(read)
        await _pause()
        assert calls == [1]
        assert receiver.closed()
        # The failed read leaves the buffered bytes; they can still be drained.
        assert await receiver.read_until_close() == b"partial line"
        try:
            receiver.read_bytes(1)
        except StreamClosedError:
            pass
        else:
            raise AssertionError("reading a closed, drained stream must raise")
    finally:
        await _close_both(sender, receiver)
    sender, receiver = await make_pair()
    try:
        read = receiver.read_bytes(10)
        receiver.close()  # the stream's own close
        assert read.done()
        _expect_closed_error(read)
        assert not receiver.reading()
    finally:
        await _close_both(sender, receiver)


async def check_eof_with_pending_data(make_pair: PairFactory) -> None:
    """Data that arrived before the peer closed can still be read after the close.

    Reads the buffer can satisfy succeed, ``read_until_close`` returns the rest, and
    only then do reads fail.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    sender, receiver = await make_pair()
    try:
        await sender.write(b"first\nsecond\nremainder")
        await _pause()
        sender.close()
        await _wait_closed(receiver)
        assert await receiver.read_until(b"\n") == b"first\n"
        assert await receiver.read_bytes(7) == b"second\n"
        assert await receiver.read_until_close() == b"remainder"
        assert await receiver.read_until_close() == b""
        try:
            receiver.read_until(b"\n")
        except StreamClosedError:
            pass
        else:
            raise AssertionError("a read the drained buffer cannot satisfy must raise")
    finally:
        await _close_both(sender, receiver)
    sender, receiver = await make_pair()
    try:
        read = receiver.read_until_close()
        await sender.write(b"all of it")
        await sender.write(b", in two writes")
        await _pause()
        assert not read.done()
        sender.close()
        assert await asyncio.wait_for(read, 5) == b"all of it, in two writes"
    finally:
        await _close_both(sender, receiver)


async def check_read_buffer_full(make_pair: PairFactory) -> None:
    """A read that cannot complete within ``max_buffer_size`` fails and closes.

    The error is both :class:`StreamBufferFullError` and :class:`StreamClosedError`.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    limit = 64 * 1024
    sender, receiver = await make_pair(max_buffer_size=limit)
    try:
        read = receiver.read_until(b"\n")
        payload = b"z" * (4 * limit)
        with contextlib.suppress(StreamClosedError):
            sender.write(payload)
        done, _ = await asyncio.wait([read], timeout=5)
        assert done, "the read did not fail although the buffer overflowed"
        exc = read.exception()
        assert isinstance(exc, StreamBufferFullError), exc
        assert isinstance(exc, StreamClosedError)
        assert receiver.closed()
    finally:
        await _close_both(sender, receiver)


async def check_backpressure_without_reader(make_pair: PairFactory) -> None:
    """With nobody reading, buffering stops near ``max_buffer_size``, nothing is lost.

    The sender's writes stop completing (the flow control reaches it), and once the
    receiver reads again every byte arrives in order.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    limit = 64 * 1024
    sender, receiver = await make_pair(max_buffer_size=limit)
    try:
        pending = await _fill_until_pending(sender, chunk=256 * 1024)
        assert sender.writing()
        total = 0
        while not pending.done() or total == 0:
            data = await receiver.read_bytes(limit, partial=True)
            assert data.strip(b"x") == b""
            total += len(data)
        await pending
        assert total > 0
    finally:
        await _close_both(sender, receiver)


async def check_close_during_write(make_pair: PairFactory) -> None:
    """An unflushed write fails with :class:`StreamClosedError` when either end closes.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    sender, receiver = await make_pair(max_buffer_size=64 * 1024)
    try:
        pending = await _fill_until_pending(sender)
        sender.close()  # the writer's own close
        done, _ = await asyncio.wait([pending], timeout=5)
        assert done
        _expect_closed_error(pending)
        try:
            sender.write(b"more")
        except StreamClosedError:
            pass
        else:
            raise AssertionError("writing to a closed stream must raise")
    finally:
        await _close_both(sender, receiver)
    sender, receiver = await make_pair(max_buffer_size=64 * 1024)
    try:
        pending = await _fill_until_pending(sender)
        receiver.close()  # the reader goes away with data unread
        done, _ = await asyncio.wait([pending], timeout=5)
        assert done, "the pending write did not fail when the peer closed"
        _expect_closed_error(pending)
        await _wait_closed(sender)
    finally:
        await _close_both(sender, receiver)


async def check_write_buffer_full(make_pair: PairFactory) -> None:
    """``write`` beyond ``max_write_buffer_size`` raises :class:`StreamBufferFullError`.

    The stream stays open and the rejected data is not sent (as in Tornado).

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    limit = 256 * 1024
    sender, receiver = await make_pair(max_write_buffer_size=limit)
    try:
        try:
            sender.write(b"q" * (limit + 1))
        except StreamBufferFullError:
            pass
        else:
            raise AssertionError("a write over max_write_buffer_size must raise")
        assert not sender.closed()
        await sender.write(b"still fine\n")
        assert await receiver.read_until(b"\n") == b"still fine\n"
    finally:
        await _close_both(sender, receiver)


async def check_large_transfer_integrity(make_pair: PairFactory) -> None:
    """Four MiB of random bytes arrive intact through a mix of read calls.

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    data = os.urandom(4 * 1024 * 1024)
    sender, receiver = await make_pair()
    try:

        async def send() -> None:
            view = memoryview(data)
            for start in range(0, len(data), 300_000):
                await sender.write(view[start : start + 300_000])

        writer = asyncio.ensure_future(send())
        got = bytearray()
        buf = bytearray(70_000)
        while len(got) < len(data):
            left = len(data) - len(got)
            if len(got) % 3 == 0:
                got += await receiver.read_bytes(min(left, 123_457))
            elif len(got) % 3 == 1:
                count = await receiver.read_into(memoryview(buf)[: min(left, len(buf))])
                got += buf[:count]
            else:
                got += await receiver.read_bytes(left, partial=True)
        await writer
        assert got == data
    finally:
        await _close_both(sender, receiver)


async def check_simultaneous_two_way(make_pair: PairFactory) -> None:
    """Both ends write 2 MiB at once and both receive everything (no deadlock).

    Args:
        make_pair: the pair factory (see :class:`PairFactory`).

    Raises:
        AssertionError: the streams broke the rule.
    """
    a, b = await make_pair()
    try:
        size = 2 * 1024 * 1024
        one, two = b"1" * size, b"2" * size
        results = await asyncio.gather(
            a.write(one), b.write(two), a.read_bytes(size), b.read_bytes(size)
        )
        assert results[2] == two
        assert results[3] == one
    finally:
        await _close_both(a, b)


ONE_WAY_CHECKS: dict[str, Check] = {
    "partial_reads": check_partial_reads,
    "delimiters_split_across_packets": check_delimiters_split_across_packets,
    "max_bytes": check_max_bytes,
    "close_during_read": check_close_during_read,
    "eof_with_pending_data": check_eof_with_pending_data,
    "read_buffer_full": check_read_buffer_full,
    "backpressure_without_reader": check_backpressure_without_reader,
    "close_during_write": check_close_during_write,
    "write_buffer_full": check_write_buffer_full,
    "large_transfer_integrity": check_large_transfer_integrity,
}
"""Checks for any stream kind, given a ``(sender, receiver)`` factory, by name."""

TWO_WAY_CHECKS: dict[str, Check] = {
    "simultaneous_two_way": check_simultaneous_two_way,
}
"""Extra checks for two-way streams (the factory's pair talks both ways)."""


async def check_one_way_stream(make_pair: PairFactory) -> None:
    """Run every check of :data:`ONE_WAY_CHECKS` in turn.

    Args:
        make_pair: the pair factory (see the module docstring).

    Raises:
        AssertionError: a check failed.
    """
    for check in ONE_WAY_CHECKS.values():
        await check(make_pair)


async def check_two_way_stream(make_pair: PairFactory) -> None:
    """Run the one-way checks in both directions, then :data:`TWO_WAY_CHECKS`.

    Args:
        make_pair: a factory whose streams talk both ways.

    Raises:
        AssertionError: a check failed.
    """
    await check_one_way_stream(make_pair)
    await check_one_way_stream(reversed_pair(make_pair))
    for check in TWO_WAY_CHECKS.values():
        await check(make_pair)
