"""Choosing the asyncio loop: uvloop without the policy API, IOLoop.configure, loop_factory.

Also the deprecated aliases Tornado 6.5 still has (``install``, ``clear_instance``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from squall import gen
from squall.ioloop import AsyncIOLoop, BaseAsyncIOLoop, IOLoop, PeriodicCallback


@pytest.fixture
def restore_configuration() -> Iterator[None]:
    saved = IOLoop._save_configuration()
    try:
        yield
    finally:
        IOLoop._restore_configuration(saved)


def _in_thread(fn: Any) -> Any:
    """Run ``fn`` in a fresh thread (no current loop there) and return its result."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result(timeout=10)


class _CountingFactory:
    def __init__(self) -> None:
        self.made: list[asyncio.AbstractEventLoop] = []

    def __call__(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        self.made.append(loop)
        return loop


def test_ioloop_loop_factory_argument() -> None:
    factory = _CountingFactory()
    loop = cast(IOLoop, IOLoop(make_current=False, loop_factory=factory))
    try:
        assert factory.made == [loop.asyncio_loop]
        assert loop.run_sync(lambda: gen.sleep(0.001)) is None
    finally:
        loop.close()
    assert factory.made[0].is_closed()


def test_configure_applies_kwargs_to_ioloop_and_current(restore_configuration: None) -> None:
    factory = _CountingFactory()
    IOLoop.configure(AsyncIOLoop, loop_factory=factory)

    def build() -> tuple[bool, bool]:
        a = IOLoop(make_current=False)
        a.close()
        b = IOLoop.current()  # no loop in this thread: creates one, as configured
        try:
            return a.asyncio_loop is factory.made[0], b.asyncio_loop is factory.made[1]
        finally:
            b.close()

    assert _in_thread(build) == (True, True)
    IOLoop.configure(None)
    assert IOLoop.configured_class() is AsyncIOLoop


def test_configure_by_name_and_rejects_non_asyncio(restore_configuration: None) -> None:
    IOLoop.configure("squall.ioloop.AsyncIOLoop")
    assert IOLoop.configured_class() is AsyncIOLoop

    class NotAsyncIO(IOLoop):
        pass

    with pytest.raises(RuntimeError):
        IOLoop.configure(NotAsyncIO)
    with pytest.raises(RuntimeError):
        IOLoop.configure(int)  # type: ignore[arg-type]


def test_install_and_clear_instance_are_deprecated() -> None:
    def body() -> list[Any]:
        loop = IOLoop(make_current=False)
        out: list[Any] = []
        try:
            with pytest.warns(DeprecationWarning, match="install"):
                loop.install()
            out.append(IOLoop.current() is loop)
            with pytest.warns(DeprecationWarning, match="clear_instance"):
                IOLoop.clear_instance()
            out.append(IOLoop.current(instance=False))
        finally:
            loop.close()
        return out

    assert _in_thread(body) == [True, None]


def test_instance_is_current_without_warning() -> None:
    async def main() -> bool:
        return IOLoop.instance() is IOLoop.current()

    assert asyncio.run(main())


def test_spawn_callback_runs_coroutine_and_logs_failure(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> list[str]:
        done: list[str] = []

        async def ok(tag: str) -> None:
            await asyncio.sleep(0)
            done.append(tag)

        async def bad() -> None:
            await asyncio.sleep(0)
            raise ValueError("boom")

        io_loop = IOLoop.current()
        io_loop.spawn_callback(ok, "a")
        io_loop.add_callback(bad)
        io_loop.call_later(0, ok, tag="b")
        await asyncio.sleep(0.02)
        return done

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        assert sorted(asyncio.run(main())) == ["a", "b"]
    assert any("boom" in (r.exc_text or "") for r in caplog.records)


# -- uvloop ---------------------------------------------------------------------


async def _exercise_squall() -> dict[str, Any]:
    """Use most of squall-ioloop on whatever loop is running."""
    io_loop = IOLoop.current()
    results: dict[str, Any] = {"kind": type(io_loop.asyncio_loop).__module__}
    assert isinstance(io_loop, BaseAsyncIOLoop)
    assert io_loop.asyncio_loop is asyncio.get_running_loop()

    # callbacks, timeouts, thread-safe add_callback
    order: list[str] = []
    io_loop.add_callback(order.append, "cb")
    io_loop.call_later(0.002, order.append, "later")
    io_loop.call_at(io_loop.time() + 0.001, order.append, "at")
    threading.Thread(target=io_loop.add_callback, args=(order.append, "thread")).start()
    await gen.sleep(0.05)
    results["order"] = sorted(order)

    # executors, futures, legacy coroutines, with_timeout
    results["executor"] = await io_loop.run_in_executor(None, sum, [1, 2, 3])

    @gen.coroutine
    def legacy() -> Any:
        a = yield gen.sleep(0.001)
        b = yield [asyncio.sleep(0, 2)]
        return (a, b)

    results["legacy"] = await legacy()
    sleeper = asyncio.ensure_future(asyncio.sleep(1))
    with pytest.raises(gen.TimeoutError):
        await gen.with_timeout(io_loop.time() + 0.01, sleeper)
    assert not sleeper.done()  # with_timeout cancels nothing it does not own
    sleeper.cancel()

    # file descriptors
    a, b = socket.socketpair()
    try:
        readable: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        io_loop.add_handler(a, lambda fd, events: readable.set_result(events), IOLoop.READ)
        b.send(b"x")
        results["events"] = await asyncio.wait_for(readable, 5)
        io_loop.remove_handler(a)
    finally:
        a.close()
        b.close()

    # PeriodicCallback
    ticks: list[float] = []
    pc = PeriodicCallback(lambda: ticks.append(io_loop.time()), 5)
    pc.start()
    await gen.sleep(0.06)
    pc.stop()
    results["ticked"] = len(ticks) >= 3
    return results


EXPECTED = {
    "order": ["at", "cb", "later", "thread"],
    "executor": 6,
    "legacy": (None, [2]),
    "events": IOLoop.READ,
    "ticked": True,
}


def test_everything_on_plain_asyncio() -> None:
    results = asyncio.run(_exercise_squall())
    assert {k: v for k, v in results.items() if k != "kind"} == EXPECTED


def test_everything_on_uvloop_runner() -> None:
    uvloop = pytest.importorskip("uvloop")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(_exercise_squall())
    assert results.pop("kind").startswith("uvloop")
    assert results == EXPECTED


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.run(loop_factory=) is 3.12+")
def test_everything_on_uvloop_asyncio_run() -> None:
    uvloop = pytest.importorskip("uvloop")
    results = asyncio.run(_exercise_squall(), loop_factory=uvloop.new_event_loop)  # type: ignore[call-arg,unused-ignore]
    assert results.pop("kind").startswith("uvloop")
    assert results == EXPECTED


def test_tornado_style_ioloop_on_uvloop(restore_configuration: None) -> None:
    uvloop = pytest.importorskip("uvloop")
    IOLoop.configure(AsyncIOLoop, loop_factory=uvloop.new_event_loop)

    def body() -> Any:
        loop = IOLoop()  # Tornado style: build a loop, run a function on it
        try:
            assert isinstance(loop.asyncio_loop, uvloop.Loop)
            return loop.run_sync(_exercise_squall, timeout=10)
        finally:
            loop.close()

    results = _in_thread(body)
    assert results.pop("kind").startswith("uvloop")
    assert results == EXPECTED
