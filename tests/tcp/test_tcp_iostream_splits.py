"""Hypothesis: how the byte stream is split into packets never changes what reads return."""

from __future__ import annotations

import asyncio
import itertools

from hypothesis import given
from hypothesis import strategies as st
from squall_test_support import tcp_pair

from squall.iostream import IOStream, StreamClosedError, UnsatisfiableReadError


def expected_reads(
    data: bytes, delimiter: bytes, max_bytes: int | None
) -> tuple[list[bytes], str, bytes]:
    """Reference model: (lines read, how the reads ended, what is left)."""
    lines = []
    pos = 0
    while True:
        loc = data.find(delimiter, pos)
        end = loc + len(delimiter)
        if loc >= 0 and (max_bytes is None or end - pos <= max_bytes):
            lines.append(data[pos:end])
            pos = end
            continue
        if max_bytes is not None and len(data) - pos >= max_bytes:
            return lines, "unsatisfiable", b""
        return lines, "closed", data[pos:]


def cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [data[i:j] for i, j in itertools.pairwise(bounds) if j > i]


async def run_reads(
    packets: list[bytes], delimiter: bytes, max_bytes: int | None
) -> tuple[list[bytes], str, bytes]:
    a, b = tcp_pair()
    stream = IOStream(a)
    lines: list[bytes] = []

    async def reader() -> tuple[str, bytes]:
        while True:
            try:
                lines.append(await stream.read_until(delimiter, max_bytes=max_bytes))
            except UnsatisfiableReadError:
                return "unsatisfiable", b""
            except StreamClosedError:
                return "closed", await stream.read_until_close()

    task = asyncio.ensure_future(reader())
    with b:
        for packet in packets:
            try:
                b.sendall(packet)
            except OSError:  # the reader gave up (unsatisfiable) and closed
                break
            await asyncio.sleep(0)
            await asyncio.sleep(0)
    how, rest = await asyncio.wait_for(task, timeout=5)
    stream.close()
    return lines, how, rest


@given(
    data=st.binary(max_size=300).map(lambda raw: bytes(b"ab\r\n"[x % 4] for x in raw)),
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    delimiter=st.sampled_from([b"\n", b"\r\n", b"\r\n\r\n", b"aba", b"bb"]),
    max_bytes=st.one_of(st.none(), st.integers(min_value=1, max_value=40)),
)
def test_any_split_gives_the_same_reads(
    data: bytes, points: list[int], delimiter: bytes, max_bytes: int | None
) -> None:
    packets = cut(data, points)
    assert b"".join(packets) == data
    got = asyncio.run(run_reads(packets, delimiter, max_bytes))
    assert got == expected_reads(data, delimiter, max_bytes)


@given(
    data=st.binary(min_size=1, max_size=400),
    points=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    sizes=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20),
)
def test_read_bytes_any_split(data: bytes, points: list[int], sizes: list[int]) -> None:
    async def main() -> bytes:
        a, b = tcp_pair()
        stream = IOStream(a)
        got = bytearray()

        async def reader() -> None:
            i = 0
            while True:
                try:
                    got.extend(await stream.read_bytes(sizes[i % len(sizes)]))
                except StreamClosedError:
                    got.extend(await stream.read_until_close())
                    return
                i += 1

        task = asyncio.ensure_future(reader())
        with b:
            for packet in cut(data, points):
                b.sendall(packet)
                await asyncio.sleep(0)
        await asyncio.wait_for(task, timeout=5)
        stream.close()
        return bytes(got)

    assert asyncio.run(main()) == data
