"""squall.testing.streams passes on all three squall stream kinds, and catches a bad one.

tests/tcp runs each check separately on more pairings; this file runs the whole
suite through the public entry points, in the sessions where squall-testing is
installed.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from typing import Any

import pytest
import trustme
from squall_test_support import tcp_pair as tcp_sockets

from squall.iostream import BaseIOStream, IOStream, PipeIOStream
from squall.testing.streams import (
    PairFactory,
    check_one_way_stream,
    check_partial_reads,
    check_two_way_stream,
    check_write_buffer_full,
)

_CA = trustme.CA()
SERVER_CTX = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
_CA.issue_cert("localhost").configure_cert(SERVER_CTX)
CLIENT_CTX = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
_CA.configure_trust(CLIENT_CTX)


async def tcp_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    a, b = tcp_sockets()
    return IOStream(a, **limits), IOStream(b, **limits)


async def tls_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    a, b = tcp_sockets()
    plain_a, plain_b = IOStream(a, **limits), IOStream(b, **limits)
    await asyncio.sleep(0.01)  # transports ready
    server, client = await asyncio.gather(
        plain_a.start_tls(True, SERVER_CTX),
        plain_b.start_tls(False, CLIENT_CTX, server_hostname="localhost"),
    )
    return server, client


async def pipe_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    read_fd, write_fd = os.pipe()
    return PipeIOStream(write_fd, **limits), PipeIOStream(read_fd, **limits)


def run(check: Any, factory: PairFactory) -> None:
    async def main() -> None:
        await asyncio.wait_for(check(factory), timeout=30)
        await asyncio.sleep(0.05)  # TLS shutdowns

    asyncio.run(main())


def test_iostream_is_a_conforming_two_way_stream() -> None:
    run(check_two_way_stream, tcp_pair)


def test_ssliostream_is_a_conforming_two_way_stream() -> None:
    run(check_two_way_stream, tls_pair)


def test_pipeiostream_is_a_conforming_one_way_stream() -> None:
    run(check_one_way_stream, pipe_pair)


class LossyStream(IOStream):
    """Drops the last byte of every write: the checks must notice."""

    def write(self, data: Any) -> Any:
        return super().write(bytes(data)[:-1] if len(data) > 1 else data)


class UnlimitedStream(IOStream):
    """Ignores max_write_buffer_size."""

    def __init__(self, sock: socket.socket, **limits: Any) -> None:
        limits.pop("max_write_buffer_size", None)
        super().__init__(sock, **limits)


@pytest.mark.parametrize(
    ("stream_class", "check"),
    [(LossyStream, check_partial_reads), (UnlimitedStream, check_write_buffer_full)],
    ids=["lossy", "unlimited"],
)
def test_a_broken_stream_fails_the_checks(stream_class: type[IOStream], check: Any) -> None:
    async def broken_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
        a, b = tcp_sockets()
        return stream_class(a, **limits), stream_class(b, **limits)

    with pytest.raises((AssertionError, asyncio.TimeoutError)):

        async def main() -> None:
            await asyncio.wait_for(check(broken_pair), timeout=0.5)

        asyncio.run(main())
