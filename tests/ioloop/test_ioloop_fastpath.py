"""The IOLoop's fast path on the standard asyncio loop (``squall/ioloop/_handles.py``).

On ``asyncio.BaseEventLoop`` the IOLoop queues its own handles on the loop's ready
queue and timer heap instead of calling ``call_soon``/``call_at``. Every test here
compares it with the general path (the same IOLoop with ``_fast`` cleared), which is
what every other loop (uvloop's included) takes.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.ioloop import AsyncIOMainLoop, IOLoop
from squall.ioloop._handles import CallbackHandle, CallbackTimerHandle, fast_loop


def run(main: Callable[[], Any], *, fast: bool = True) -> Any:
    """Run ``main()`` on a fresh standard asyncio loop, with or without the fast path."""

    async def wrapper() -> Any:
        io_loop = IOLoop.current()
        assert (io_loop._fast is not None) is True
        if not fast:
            io_loop._fast = None
        return await main()

    loop = asyncio.SelectorEventLoop()
    try:
        return loop.run_until_complete(wrapper())
    finally:
        IOLoop._ioloop_for_asyncio.pop(loop, None)
        loop.close()


def test_fast_loop_accepts_only_the_plain_standard_loop() -> None:
    loop = asyncio.SelectorEventLoop()
    assert fast_loop(loop) is loop

    class Instrumented(asyncio.SelectorEventLoop):
        def call_soon(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            return super().call_soon(*args, **kwargs)

    odd = Instrumented()
    assert fast_loop(odd) is None
    odd.close()
    loop.close()
    uvloop = pytest.importorskip("uvloop")
    other = uvloop.new_event_loop()
    assert fast_loop(other) is None
    other.close()


def test_fast_path_queues_its_own_handles_and_falls_back_in_debug_mode() -> None:
    async def main() -> None:
        io_loop = IOLoop.current()
        loop = asyncio.get_running_loop()
        ran: list[str] = []
        io_loop.add_callback(ran.append, "soon")
        assert isinstance(loop._ready[-1], CallbackHandle)  # type: ignore[attr-defined]
        timer = io_loop.call_later(0, ran.append, "later")
        assert isinstance(timer, CallbackTimerHandle)
        at = io_loop.call_at(io_loop.time(), ran.append, "at")
        assert isinstance(at, CallbackTimerHandle)
        loop.set_debug(True)
        try:
            io_loop.add_callback(ran.append, "debug")
            assert type(loop._ready[-1]) is asyncio.Handle  # type: ignore[attr-defined]
            debug_timer = io_loop.call_later(0, ran.append, "debug-later")
            assert type(debug_timer) is asyncio.TimerHandle
        finally:
            loop.set_debug(False)
        await asyncio.sleep(0.01)
        assert ran == ["soon", "debug", "later", "at", "debug-later"]

    run(main)


# One step of a schedule: which API schedules callback number i.
OPS = ["add_callback", "call_soon", "call_later0", "call_at_now", "spawn", "nested", "cancel"]


@settings(max_examples=150)
@given(st.lists(st.sampled_from(OPS), min_size=1, max_size=30))
def test_fast_and_general_paths_run_callbacks_in_the_same_order(ops: list[str]) -> None:
    """Interleaved with plain asyncio callbacks and timers, the order is the same."""

    def schedule_all() -> Callable[[], Any]:
        async def main() -> list[Any]:
            io_loop = IOLoop.current()
            loop = asyncio.get_running_loop()
            ran: list[Any] = []

            async def coro(i: int) -> None:
                ran.append(("coro", i))

            for i, op in enumerate(ops):
                if op == "add_callback":
                    io_loop.add_callback(ran.append, i)
                elif op == "call_soon":
                    loop.call_soon(ran.append, ("asyncio", i))
                elif op == "call_later0":
                    io_loop.call_later(0, ran.append, i)
                elif op == "call_at_now":
                    io_loop.call_at(0, ran.append, i)
                elif op == "spawn":
                    io_loop.spawn_callback(coro, i)
                elif op == "nested":

                    def outer(i: int = i) -> None:
                        ran.append(("outer", i))
                        io_loop.add_callback(ran.append, i)

                    io_loop.add_callback(outer)
                else:
                    io_loop.remove_timeout(io_loop.call_later(0, ran.append, ("cancelled", i)))
            await asyncio.sleep(0.005)
            return ran

        return main

    assert run(schedule_all(), fast=True) == run(schedule_all(), fast=False)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("api", ["add_callback", "call_later", "call_at"])
def test_errors_coroutines_and_cancellation_are_handled_alike(
    fast: bool, api: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        io_loop = IOLoop.current()
        done = asyncio.Event()
        ran: list[str] = []

        def schedule(cb: Callable[[], Any]) -> None:
            if api == "add_callback":
                io_loop.add_callback(cb)
            elif api == "call_later":
                io_loop.call_later(0, cb)
            else:
                io_loop.call_at(io_loop.time(), cb)

        def boom() -> None:
            raise ValueError("boom")

        async def failing_coroutine() -> None:
            await asyncio.sleep(0)
            raise KeyError("later")

        def cancelled() -> None:
            raise asyncio.CancelledError

        async def ok() -> None:
            ran.append("coroutine ran")
            done.set()

        for cb in (boom, failing_coroutine, cancelled, ok):
            schedule(cb)
        await done.wait()
        await asyncio.sleep(0.01)
        assert ran == ["coroutine ran"]

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main, fast=fast)
    records = [r for r in caplog.records if r.name == "squall.application"]
    assert [r.getMessage().startswith("Exception in callback") for r in records] == [True, True]
    assert [type(r.exc_info[1]) for r in records if r.exc_info] == [ValueError, KeyError]


@pytest.mark.parametrize("fast", [True, False])
def test_system_exit_propagates_and_other_base_exceptions_reach_the_loop(fast: bool) -> None:
    class Odd(BaseException):
        pass

    seen: list[Any] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: seen.append(context["exception"]))

        def odd() -> None:
            raise Odd

        IOLoop.current().add_callback(odd)
        IOLoop.current().call_later(0, odd)
        await asyncio.sleep(0.01)

        def leave() -> None:
            raise SystemExit(3)

        IOLoop.current().add_callback(leave)
        await asyncio.sleep(0.01)

    with pytest.raises(SystemExit):
        run(main, fast=fast)
    assert [type(e) for e in seen] == [Odd, Odd]


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("api", ["add_callback", "call_later"])
def test_callbacks_run_in_a_copy_of_the_scheduling_context(fast: bool, api: str) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def main() -> list[str]:
        io_loop = IOLoop.current()
        seen: list[str] = []

        def look_and_set() -> None:
            seen.append(var.get())
            var.set("changed by a callback")

        for value in ("a", "b"):
            var.set(value)
            for _ in range(2):
                if api == "add_callback":
                    io_loop.add_callback(look_and_set)
                else:
                    io_loop.call_later(0, look_and_set)
        var.set("outer")
        await asyncio.sleep(0.01)
        seen.append(var.get())
        return seen

    assert run(main, fast=fast) == ["a", "a", "b", "b", "outer"]


def test_bad_deadlines_and_closed_loops_fail_like_asyncio() -> None:
    async def main() -> None:
        io_loop = IOLoop.current()
        with pytest.raises(TypeError):
            io_loop.call_at(None, print)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            io_loop.call_later(None, print)  # type: ignore[arg-type]

    run(main)
    loop = asyncio.SelectorEventLoop()
    wrapper = AsyncIOMainLoop(asyncio_loop=loop)
    assert wrapper._fast is loop
    loop.close()
    with pytest.raises(RuntimeError):
        wrapper.call_later(0, print)
    with pytest.raises(RuntimeError):
        wrapper.call_at(0, print)
    wrapper.add_callback(print)  # dropped silently, like Tornado
    wrapper.close()


def test_add_callback_from_another_thread_still_wakes_the_loop() -> None:
    async def main() -> None:
        io_loop = IOLoop.current()
        done = asyncio.get_running_loop().create_future()
        threading.Thread(target=io_loop.add_callback, args=(done.set_result, "woken")).start()
        assert await asyncio.wait_for(done, 5) == "woken"

    run(main)
