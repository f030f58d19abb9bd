"""The stream conformance suite (squall.testing.streams) on IOStream over loopback TCP."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from squall_test_support import tcp_pair

from squall.iostream import BaseIOStream, IOStream

# The suite is public API of squall-testing; the isolated tests(tcp) session
# installs squall-tcp alone, and tests/testing runs the suite there too.
suite = pytest.importorskip("squall.testing.streams")


async def make_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    a, b = tcp_pair()
    return IOStream(a, **limits), IOStream(b, **limits)


async def make_unix_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    a, b = socket.socketpair()
    return IOStream(a, **limits), IOStream(b, **limits)


FACTORIES = {
    "tcp": make_pair,
    "tcp-reversed": suite.reversed_pair(make_pair),
    "unix-socketpair": make_unix_pair,
}


def run(check: Any, factory: Any) -> None:
    async def main() -> None:
        await asyncio.wait_for(check(factory), timeout=20)

    asyncio.run(main())


@pytest.mark.parametrize("factory", FACTORIES.values(), ids=list(FACTORIES))
@pytest.mark.parametrize("check", suite.ONE_WAY_CHECKS.values(), ids=list(suite.ONE_WAY_CHECKS))
def test_one_way(check: Any, factory: Any) -> None:
    run(check, factory)


@pytest.mark.parametrize("check", suite.TWO_WAY_CHECKS.values(), ids=list(suite.TWO_WAY_CHECKS))
def test_two_way(check: Any) -> None:
    run(check, make_pair)
