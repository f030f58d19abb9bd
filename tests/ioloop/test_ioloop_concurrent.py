"""Tests for squall.concurrent helpers."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any

import pytest

from squall.concurrent import (
    DummyExecutor,
    Future,
    chain_future,
    dummy_executor,
    future_add_done_callback,
    future_set_exc_info,
    future_set_exception_unless_cancelled,
    future_set_result_unless_cancelled,
    is_future,
    run_on_executor,
)


def test_future_is_asyncio_future() -> None:
    assert Future is asyncio.Future
    assert is_future(concurrent.futures.Future())
    assert not is_future(object())


def test_set_unless_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        f = loop.create_future()
        f.cancel()
        future_set_result_unless_cancelled(f, 1)  # no InvalidStateError
        with caplog.at_level(logging.ERROR, logger="squall.application"):
            future_set_exception_unless_cancelled(f, ValueError("lost"))
        g = loop.create_future()
        future_set_result_unless_cancelled(g, 2)
        assert g.result() == 2
        h = loop.create_future()
        try:
            raise KeyError("k")
        except KeyError as e:
            future_set_exc_info(h, (type(e), e, e.__traceback__))
        with pytest.raises(KeyError):
            h.result()
        with pytest.raises(TypeError):
            future_set_exc_info(loop.create_future(), (None, None, None))

    asyncio.run(main())
    assert any("cancelled" in r.getMessage() for r in caplog.records)


def test_future_add_done_callback_immediate_when_done() -> None:
    async def main() -> None:
        f = asyncio.get_running_loop().create_future()
        f.set_result(1)
        calls: list[Any] = []
        future_add_done_callback(f, calls.append)
        assert calls == [f]  # synchronously
        g = asyncio.get_running_loop().create_future()
        future_add_done_callback(g, calls.append)
        g.set_result(2)
        assert calls == [f]
        await asyncio.sleep(0)
        assert calls == [f, g]

    asyncio.run(main())


def test_chain_future_asyncio_and_concurrent() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = loop.create_future(), loop.create_future()
        chain_future(a, b)
        a.set_exception(ValueError("v"))
        await asyncio.sleep(0)
        with pytest.raises(ValueError):
            b.result()
        # b already done: left alone.
        c, d = loop.create_future(), loop.create_future()
        d.set_result("mine")
        chain_future(c, d)
        c.set_result("theirs")
        await asyncio.sleep(0)
        assert d.result() == "mine"
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            cf = ex.submit(threading.get_ident)
            e = loop.create_future()
            chain_future(cf, e)
            assert await e != threading.get_ident()

    asyncio.run(main())


class _Worker:
    def __init__(self) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(1)
        self.other = dummy_executor

    @run_on_executor
    def compute(self, x: int) -> tuple[int, int]:
        return x * 2, threading.get_ident()

    @run_on_executor(executor="other")
    def on_dummy(self, x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x + 1


def test_run_on_executor() -> None:
    w = _Worker()

    async def main() -> None:
        value, ident = await w.compute(21)
        assert value == 42
        assert ident != threading.get_ident()
        assert await w.on_dummy(1) == 2
        with pytest.raises(ValueError):
            await w.on_dummy(-1)

    try:
        asyncio.run(main())
    finally:
        w.executor.shutdown()
    with pytest.raises(ValueError):
        run_on_executor(lambda: None, executor="x")  # type: ignore[call-overload]


def test_dummy_executor() -> None:
    ex = DummyExecutor()
    f = ex.submit(pow, 2, 5)
    assert f.done() and f.result() == 32
    g = ex.submit(int, "nope")
    with pytest.raises(ValueError):
        g.result()
    ex.shutdown()
