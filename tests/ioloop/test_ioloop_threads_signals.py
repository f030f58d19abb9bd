"""IOLoop.add_callback from many threads, and add_callback_from_signal with real signals.

Each test runs on the standard asyncio loop and, when uvloop is installed, on uvloop.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from squall.ioloop import IOLoop

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def _factories() -> list[Any]:
    params: list[Any] = [pytest.param(asyncio.new_event_loop, id="asyncio")]
    try:
        import uvloop
    except ImportError:
        params.append(pytest.param(None, id="uvloop", marks=pytest.mark.skip("no uvloop")))
    else:
        params.append(pytest.param(uvloop.new_event_loop, id="uvloop"))
    return params


@pytest.fixture(params=_factories())
def io_loop(request: pytest.FixtureRequest) -> Iterator[IOLoop]:
    loop = cast(IOLoop, IOLoop(make_current=False, loop_factory=request.param))
    try:
        yield loop
    finally:
        loop.close()


def test_add_callback_from_many_threads_runs_each_once_in_order(io_loop: IOLoop) -> None:
    n_threads, per_thread = 12, 400
    total = n_threads * per_thread
    barrier = threading.Barrier(n_threads)
    seen: dict[int, list[int]] = {k: [] for k in range(n_threads)}
    threads_seen: set[int] = set()
    count = 0

    def record(k: int, i: int, *, tag: str) -> None:
        nonlocal count
        assert tag == "x"
        threads_seen.add(threading.get_ident())
        seen[k].append(i)
        count += 1
        if count == total:
            io_loop.stop()

    def producer(k: int) -> None:
        barrier.wait()  # every thread calls add_callback at the same moment
        for i in range(per_thread):
            io_loop.add_callback(record, k, i, tag="x")

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(n_threads)]
    watchdog = io_loop.call_later(10, io_loop.stop)
    for t in threads:
        t.start()
    io_loop.start()
    for t in threads:
        t.join()
    io_loop.remove_timeout(watchdog)
    # Exactly once each, and in the order each thread added them.
    assert count == total
    assert all(seen[k] == list(range(per_thread)) for k in range(n_threads))
    assert threads_seen == {threading.get_ident()}


@pytest.fixture
def sigusr1() -> Iterator[list[Callable[[], None]]]:
    """Install a SIGUSR1 handler that runs the callables put in the returned list."""
    actions: list[Callable[[], None]] = []

    def handler(signum: int, frame: Any) -> None:
        for action in actions:
            action()

    old = signal.signal(signal.SIGUSR1, handler)
    try:
        yield actions
    finally:
        signal.signal(signal.SIGUSR1, old)


def _from_signal(io_loop: IOLoop, warned: list[warnings.WarningMessage], fn: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        io_loop.add_callback_from_signal(fn, "sig", kw=1)
    warned.extend(caught)


def test_add_callback_from_signal_raised_on_the_loop(
    io_loop: IOLoop, sigusr1: list[Callable[[], None]]
) -> None:
    got: list[tuple[str, int]] = []
    warned: list[warnings.WarningMessage] = []

    def callback(value: str, kw: int) -> None:
        got.append((value, kw))
        io_loop.stop()

    sigusr1.append(lambda: _from_signal(io_loop, warned, callback))
    io_loop.add_callback(signal.raise_signal, signal.SIGUSR1)
    watchdog = io_loop.call_later(5, io_loop.stop)
    io_loop.start()
    io_loop.remove_timeout(watchdog)
    assert got == [("sig", 1)]
    assert [w.category for w in warned] == [DeprecationWarning]


def test_add_callback_from_signal_wakes_an_idle_loop(
    io_loop: IOLoop, sigusr1: list[Callable[[], None]]
) -> None:
    """The loop sleeps in select() with nothing scheduled; the signal must wake it."""
    got: list[float] = []
    warned: list[warnings.WarningMessage] = []
    main_thread = threading.get_ident()

    def callback(value: str, kw: int) -> None:
        got.append(time.monotonic())
        io_loop.stop()

    def fire() -> None:
        time.sleep(0.1)  # let the loop go idle
        signal.pthread_kill(main_thread, signal.SIGUSR1)

    sigusr1.append(lambda: _from_signal(io_loop, warned, callback))
    # Only the watchdog is pending: without a wake-up the loop would sleep 5 s.
    watchdog = io_loop.call_later(5, io_loop.stop)
    thread = threading.Thread(target=fire)
    start = time.monotonic()
    thread.start()
    io_loop.start()
    thread.join()
    io_loop.remove_timeout(watchdog)
    assert len(got) == 1
    assert got[0] - start < 2
    assert [w.category for w in warned] == [DeprecationWarning]


def test_add_callback_from_signal_after_close_is_dropped() -> None:
    loop = cast(IOLoop, IOLoop(make_current=False))
    loop.close()
    with pytest.warns(DeprecationWarning):
        loop.add_callback_from_signal(lambda: None)
