"""The stream conformance suite (streamconformance.py) on IOStream over loopback TCP."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from squall.iostream import BaseIOStream, IOStream


def load_suite() -> ModuleType:
    # --import-mode=importlib puts no test folder on sys.path: load it by path.
    path = Path(__file__).with_name("streamconformance.py")
    spec = importlib.util.spec_from_file_location("tcp_streamconformance", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


suite = load_suite()


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return server, client


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
