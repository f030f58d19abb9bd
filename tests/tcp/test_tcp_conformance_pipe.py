"""The stream conformance suite (streamconformance.py) on PipeIOStream (one-way)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from squall.iostream import BaseIOStream, PipeIOStream


def load_suite() -> ModuleType:
    # --import-mode=importlib puts no test folder on sys.path: load it by path.
    path = Path(__file__).with_name("streamconformance.py")
    spec = importlib.util.spec_from_file_location("tcp_streamconformance_pipe", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


suite = load_suite()


async def make_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    """(write end, read end) of a fresh os.pipe()."""
    read_fd, write_fd = os.pipe()
    return PipeIOStream(write_fd, **limits), PipeIOStream(read_fd, **limits)


@pytest.mark.parametrize("check", suite.ONE_WAY_CHECKS.values(), ids=list(suite.ONE_WAY_CHECKS))
def test_one_way(check: Any) -> None:
    async def main() -> None:
        await asyncio.wait_for(check(make_pair), timeout=20)

    asyncio.run(main())
