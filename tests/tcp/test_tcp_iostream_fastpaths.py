"""Hypothesis: the read fast paths give exactly what the general path gives.

A read the buffer already satisfies is served by a fast path (``read_until`` and
``read_bytes`` slice the buffered chunk and return a resolved future); a read that
has to wait goes through the general path (a pending read completed by arriving
data). The buffer itself switches between an untouched chunk from the transport,
a chunk with a consumed prefix, a short rest joined with the next chunk, and a
``bytearray`` accumulating several chunks. These tests run any sequence of reads
over any packet split, once with the data trickling in (reads mostly wait) and
once with everything buffered first (reads mostly take the fast paths), and
compare both with a reference model of the byte stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from squall_test_support import tcp_pair

from squall.iostream import IOStream, StreamClosedError, UnsatisfiableReadError

REGEX = re.compile(rb"a\r?\n")  # where a match ends does not depend on later data

Op = tuple[Any, ...]


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [data[i:j] for i, j in itertools.pairwise(bounds) if j > i]


def buffered(stream: IOStream) -> int:
    return len(stream._rbuf) - stream._rpos


def check(data: bytes, ops: list[Op], results: list[Any]) -> None:
    """Replay ``results`` of ``ops`` against the reference model of ``data``."""
    pos = 0
    for op, result in zip(ops, results, strict=False):
        rest = data[pos:]
        kind = op[0]
        if kind == "until":
            _, delimiter, max_bytes = op
            window = rest if max_bytes is None else rest[:max_bytes]
            loc = window.find(delimiter)
            if loc >= 0:
                assert result == rest[: loc + len(delimiter)]
            elif max_bytes is not None and len(rest) >= max_bytes:
                # (A stream the peer already closed reports any failed read as
                # closed, as before the fast paths existed.)
                assert result in ("unsatisfiable", "closed")
                return
            else:
                assert result == "closed"
                return
        elif kind == "regex":
            _, max_bytes = op
            match = REGEX.search(rest)
            if match is not None and (max_bytes is None or match.end() <= max_bytes):
                assert result == rest[: match.end()]
            elif match is not None or (max_bytes is not None and len(rest) >= max_bytes):
                # (A stream the peer already closed reports any failed read as
                # closed, as before the fast paths existed.)
                assert result in ("unsatisfiable", "closed")
                return
            else:
                assert result == "closed"
                return
        else:  # "bytes" or "into"
            _, size, partial = op
            if not partial or not size:
                if len(rest) >= size:
                    assert result == rest[:size]
                else:
                    assert result == "closed"
                    return
            elif rest:
                # How much a partial read gets depends on timing: any non-empty
                # prefix of what is left, at most `size` bytes.
                assert isinstance(result, bytes) and 1 <= len(result) <= size
                assert rest.startswith(result)
            else:
                assert result == "closed"
                return
        pos += len(result)
    # The reads ran out: read_until_close returned the rest.
    assert results[len(ops)] == data[pos:]


async def run_reads(stream: IOStream, ops: list[Op]) -> list[Any]:
    results: list[Any] = []
    for op in ops:
        kind = op[0]
        try:
            if kind == "until":
                results.append(await stream.read_until(op[1], max_bytes=op[2]))
            elif kind == "regex":
                results.append(await stream.read_until_regex(REGEX, max_bytes=op[1]))
            elif kind == "bytes":
                results.append(await stream.read_bytes(op[1], partial=op[2]))
            else:
                target = bytearray(op[1] + 3)
                n = await stream.read_into(memoryview(target)[: op[1]], partial=op[2])
                assert target[op[1] :] == b"\0\0\0"  # nothing written past the view
                results.append(bytes(target[:n]))
        except UnsatisfiableReadError:
            results.append("unsatisfiable")
            return results
        except StreamClosedError:
            results.append("closed")
            return results
    results.append(await stream.read_until_close())
    return results


async def trickled(packets: list[bytes], ops: list[Op]) -> list[Any]:
    """Send the packets one by one while the reads run (reads mostly wait)."""
    a, b = tcp_pair()
    stream = IOStream(a)
    task = asyncio.ensure_future(run_reads(stream, ops))
    with b:
        for packet in packets:
            try:
                b.sendall(packet)
            except OSError:  # the reader gave up (unsatisfiable) and closed
                break
            await asyncio.sleep(0)
            await asyncio.sleep(0)
    results = await asyncio.wait_for(task, timeout=5)
    stream.close()
    return results


async def buffered_first(packets: list[bytes], ops: list[Op], eof: bool) -> list[Any]:
    """Buffer all the data before the first read (reads take the fast paths)."""
    a, b = tcp_pair()
    stream = IOStream(a)
    total = sum(map(len, packets))
    with b:
        for packet in packets:
            b.sendall(packet)
            await asyncio.sleep(0)
        for _ in range(500):
            if buffered(stream) >= total:
                break
            await asyncio.sleep(0.002)
        if eof:
            b.shutdown(socket.SHUT_WR)
            for _ in range(500):
                if stream.closed():
                    break
                await asyncio.sleep(0.002)
        task = asyncio.ensure_future(run_reads(stream, ops))
        if not eof:
            await asyncio.sleep(0.005)
            with contextlib.suppress(OSError):  # the stream may have closed (unsatisfiable)
                b.shutdown(socket.SHUT_WR)  # let the last waiting read see the end
        results = await asyncio.wait_for(task, timeout=5)
    stream.close()
    return results


alphabet_data = st.binary(max_size=300).map(lambda raw: bytes(b"ab\r\n"[x % 4] for x in raw))
ops_strategy = st.lists(
    st.one_of(
        st.tuples(
            st.just("until"),
            st.sampled_from([b"\n", b"\r\n", b"aba", b"bb"]),
            st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
        ),
        st.tuples(st.just("regex"), st.one_of(st.none(), st.integers(min_value=1, max_value=60))),
        st.tuples(
            st.sampled_from(["bytes", "into"]),
            st.integers(min_value=0, max_value=70),
            st.booleans(),
        ),
    ),
    max_size=25,
)


@given(
    data=alphabet_data,
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
    ops=ops_strategy,
)
def test_any_reads_over_any_split_trickled(data: bytes, points: list[int], ops: list[Op]) -> None:
    results = asyncio.run(trickled(cut(data, points), ops))
    check(data, ops, results)


@given(
    data=alphabet_data,
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
    ops=ops_strategy,
    eof=st.booleans(),
)
def test_any_reads_over_any_split_buffered_first(
    data: bytes, points: list[int], ops: list[Op], eof: bool
) -> None:
    results = asyncio.run(buffered_first(cut(data, points), ops, eof))
    check(data, ops, results)


@given(
    rest=st.binary(max_size=3000),
    chunks=st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=6),
    consumed=st.integers(min_value=0, max_value=3000),
    take=st.lists(st.integers(min_value=0, max_value=4000), max_size=8),
)
def test_buffer_layouts_keep_the_byte_order(
    rest: bytes, chunks: list[bytes], consumed: int, take: list[int]
) -> None:
    """Chunks joined as bytes, appended to a bytearray or kept whole read back in order.

    The chunks are fed to the stream's buffer directly (as the protocol does, from
    a reused scratch buffer) so that every layout transition is hit on purpose,
    then read back with ``read_bytes`` (fast path) and ``read_until_close``.
    """

    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        await asyncio.sleep(0.005)  # transport ready (the idle peer sends nothing)
        first = rest + b"x" * consumed
        stream._on_data(first)
        head = stream.read_bytes(min(consumed, len(first))).result()
        assert head == first[: len(head)]
        expected = first[len(head) :]
        for chunk in chunks:
            # As the protocol does: a view of a scratch buffer that is reused
            # (overwritten here) as soon as the stream has taken the bytes.
            scratch = bytearray(chunk)
            stream._on_data(memoryview(scratch))
            scratch[:] = b"\xff" * len(scratch)
            expected += chunk
        got = b""
        for n in take:
            got += stream.read_bytes(min(n, len(expected) - len(got))).result()
        stream.close()
        b.close()
        got += stream.read_until_close().result()
        assert got == expected

    asyncio.run(main())


def test_unread_puts_bytes_back_in_front() -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            b.sendall(b"hello world\n")
            assert await stream.read_bytes(6) == b"hello "
            stream.unread(b"big ")
            stream.unread(b"")
            assert await stream.read_until(b"\n") == b"big world\n"
            fut = stream.read_bytes(1)
            try:
                stream.unread(b"x")
            except RuntimeError:
                pass
            else:
                raise AssertionError("unread during a pending read must fail")
            b.sendall(b"!")
            assert await fut == b"!"
            # The legacy private layout still works: prepend through _buffer.
            stream._buffer[:0] = b"ab"
            assert await stream.read_bytes(2) == b"ab"
        stream.close()

    asyncio.run(main())
