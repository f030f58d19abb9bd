"""The stream conformance suite (squall.testing.streams) on PipeIOStream (one-way)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from squall.iostream import BaseIOStream, PipeIOStream

# The suite is public API of squall-testing; the isolated tests(tcp) session
# installs squall-tcp alone, and tests/testing runs the suite there too.
suite = pytest.importorskip("squall.testing.streams")


async def make_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    """(write end, read end) of a fresh os.pipe()."""
    read_fd, write_fd = os.pipe()
    return PipeIOStream(write_fd, **limits), PipeIOStream(read_fd, **limits)


@pytest.mark.parametrize("check", suite.ONE_WAY_CHECKS.values(), ids=list(suite.ONE_WAY_CHECKS))
def test_one_way(check: Any) -> None:
    async def main() -> None:
        await asyncio.wait_for(check(make_pair), timeout=20)

    asyncio.run(main())
