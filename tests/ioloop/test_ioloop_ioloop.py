"""Tests for squall.ioloop.IOLoop: scheduling, thread safety, run_sync, logging."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import logging
import socket
import threading
import time
from typing import Any, cast

import pytest

from squall.gen import BadYieldError
from squall.ioloop import AsyncIOMainLoop, IOLoop
from squall.util import TimeoutError as SquallTimeoutError


def _new_loop() -> IOLoop:
    return cast(IOLoop, IOLoop(make_current=False))


def test_current_is_one_per_asyncio_loop() -> None:
    async def main() -> tuple[IOLoop, IOLoop, asyncio.AbstractEventLoop]:
        a = IOLoop.current()
        b = IOLoop.current()
        return a, b, asyncio.get_running_loop()

    a, b, aloop = asyncio.run(main())
    assert a is b
    assert isinstance(a, AsyncIOMainLoop)
    assert a.asyncio_loop is aloop


def test_current_instance_false_without_loop() -> None:
    def in_thread(out: list[Any]) -> None:
        out.append(IOLoop.current(instance=False))

    out: list[Any] = []
    t = threading.Thread(target=in_thread, args=(out,))
    t.start()
    t.join()
    assert out == [None]


def test_new_ioloop_makes_current_and_close_clears() -> None:
    def in_thread(out: list[Any]) -> None:
        loop = IOLoop()
        try:
            out.append(IOLoop.current() is loop)
        finally:
            loop.close()
        out.append(IOLoop.current(instance=False))

    out: list[Any] = []
    t = threading.Thread(target=in_thread, args=(out,))
    t.start()
    t.join()
    assert out == [True, None]


def test_add_callback_from_many_threads() -> None:
    loop = _new_loop()
    try:
        n_threads, per_thread = 16, 200
        seen: list[int] = []
        loop_thread: list[int] = []

        def record(i: int) -> None:
            loop_thread.append(threading.get_ident())
            seen.append(i)
            if len(seen) == n_threads * per_thread:
                loop.stop()

        def producer(base: int) -> None:
            for i in range(per_thread):
                loop.add_callback(record, base + i)

        threads = [threading.Thread(target=producer, args=(k * per_thread,)) for k in range(16)]
        watchdog = loop.call_later(10, loop.stop)
        for t in threads:
            t.start()
        loop.start()
        for t in threads:
            t.join()
        loop.remove_timeout(watchdog)
        assert sorted(seen) == list(range(n_threads * per_thread))
        assert set(loop_thread) == {threading.get_ident()}
    finally:
        loop.close()


def test_add_callback_after_close_is_dropped() -> None:
    loop = _new_loop()
    loop.close()
    loop.add_callback(lambda: None)  # must not raise


def test_timeouts_order_and_removal() -> None:
    loop = _new_loop()
    try:
        order: list[str] = []

        async def main() -> None:
            now = loop.time()
            loop.add_timeout(now + 0.03, order.append, "abs")
            loop.add_timeout(datetime.timedelta(seconds=0.01), order.append, "delta")
            loop.call_later(0.02, order.append, "later")
            loop.call_at(now + 0.005, order.append, "at")
            h = loop.call_later(0.015, order.append, "removed")
            loop.remove_timeout(h)
            await asyncio.sleep(0.06)

        loop.run_sync(main)
        assert order == ["at", "delta", "later", "abs"]
    finally:
        loop.close()


def test_add_timeout_rejects_bad_deadline() -> None:
    loop = _new_loop()
    try:
        with pytest.raises(TypeError):
            loop.add_timeout("soon", lambda: None)  # type: ignore[arg-type]
    finally:
        loop.close()


def test_time_is_asyncio_clock() -> None:
    loop = _new_loop()
    try:
        assert abs(loop.time() - loop.asyncio_loop.time()) < 0.01
    finally:
        loop.close()


def test_run_sync_values_and_errors() -> None:
    loop = _new_loop()
    try:
        assert loop.run_sync(lambda: None) is None
        with pytest.raises(BadYieldError):
            loop.run_sync(lambda: 42)  # Tornado rejects plain values too

        async def coro() -> str:
            await asyncio.sleep(0)
            return "done"

        assert loop.run_sync(coro) == "done"

        async def fails() -> None:
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            loop.run_sync(fails)

        def sync_fail() -> None:
            raise KeyError("k")

        with pytest.raises(KeyError):
            loop.run_sync(sync_fail)
    finally:
        loop.close()


def test_run_sync_timeout() -> None:
    loop = _new_loop()
    try:
        cancelled = []

        async def slow() -> None:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        start = time.monotonic()
        with pytest.raises(SquallTimeoutError):
            loop.run_sync(slow, timeout=0.05)
        assert time.monotonic() - start < 2
        assert cancelled == [True]
        # The loop is reusable afterwards.
        assert loop.run_sync(lambda: asyncio.sleep(0, result=1)) == 1
    finally:
        loop.close()


def test_run_sync_is_builtin_timeout_error() -> None:
    assert SquallTimeoutError is TimeoutError


def test_add_future_asyncio_and_concurrent() -> None:
    loop = _new_loop()
    try:
        results: list[Any] = []

        async def main() -> None:
            f: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            loop.add_future(f, lambda fut: results.append(("asyncio", fut.result())))
            f.set_result(1)
            with concurrent.futures.ThreadPoolExecutor(1) as ex:
                cf = ex.submit(lambda: 2)
                done = asyncio.get_running_loop().create_future()

                def on_cf(fut: concurrent.futures.Future[int]) -> None:
                    results.append(("concurrent", fut.result(), threading.get_ident()))
                    done.set_result(None)

                loop.add_future(cf, on_cf)
                await done

        loop.run_sync(main)
        assert results[0] == ("asyncio", 1)
        assert results[1][:2] == ("concurrent", 2)
        assert results[1][2] == threading.get_ident()
    finally:
        loop.close()


def test_add_future_rejects_non_future() -> None:
    loop = _new_loop()
    try:
        with pytest.raises(TypeError):
            loop.add_future(object(), lambda f: None)  # type: ignore[arg-type]
    finally:
        loop.close()


def test_callback_exception_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    loop = _new_loop()
    try:

        def bad() -> None:
            raise ZeroDivisionError("callback failure")

        async def bad_coro() -> None:
            await asyncio.sleep(0)
            raise LookupError("coroutine failure")

        async def main() -> None:
            loop.add_callback(bad)
            loop.spawn_callback(bad_coro)
            loop.call_later(0, bad)
            for _ in range(5):
                await asyncio.sleep(0)

        with caplog.at_level(logging.ERROR, logger="squall.application"):
            loop.run_sync(main)
        records = [r for r in caplog.records if r.name == "squall.application"]
        kinds = sorted(type(r.exc_info[1]).__name__ for r in records if r.exc_info)
        assert kinds == ["LookupError", "ZeroDivisionError", "ZeroDivisionError"]
        assert all("Exception in callback" in r.getMessage() for r in records)
    finally:
        loop.close()


def test_callback_plain_return_value_ignored(caplog: pytest.LogCaptureFixture) -> None:
    loop = _new_loop()
    try:

        async def main() -> None:
            loop.add_callback(lambda: 5)
            await asyncio.sleep(0)
            await asyncio.sleep(0)

        with caplog.at_level(logging.ERROR):
            loop.run_sync(main)
        assert not caplog.records
    finally:
        loop.close()


def test_run_in_executor_default_and_explicit() -> None:
    loop = _new_loop()
    try:

        async def main() -> tuple[int, str, int]:
            a = await loop.run_in_executor(None, sum, [1, 2, 3])
            name = await loop.run_in_executor(None, lambda: threading.current_thread().name)
            with concurrent.futures.ThreadPoolExecutor(1) as ex:
                b = await loop.run_in_executor(ex, pow, 2, 10)
            return a, name, b

        a, name, b = loop.run_sync(main)
        assert (a, b) == (6, 1024)
        assert name.startswith("squall-ioloop")
    finally:
        loop.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("squall-ioloop")]


def test_set_default_executor() -> None:
    loop = _new_loop()
    try:
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="custom") as ex:
            loop.set_default_executor(ex)

            async def main() -> str:
                return await loop.run_in_executor(None, lambda: threading.current_thread().name)

            assert loop.run_sync(main).startswith("custom")
    finally:
        loop.close()


def test_start_stop_and_reuse() -> None:
    loop = _new_loop()
    try:
        loop.add_callback(loop.stop)
        loop.start()
        hits: list[int] = []
        loop.add_callback(hits.append, 1)
        loop.add_callback(loop.stop)
        loop.start()
        assert hits == [1]
    finally:
        loop.close()


def test_close_running_loop_raises() -> None:
    loop = _new_loop()
    try:
        errors: list[BaseException] = []

        def try_close() -> None:
            try:
                loop.close()
            except RuntimeError as e:
                errors.append(e)
            loop.stop()

        loop.add_callback(try_close)
        loop.start()
        assert len(errors) == 1
    finally:
        loop.close()


def test_add_handler_read_write() -> None:
    loop = _new_loop()
    a, b = socket.socketpair()
    try:
        a.setblocking(False)
        b.setblocking(False)
        events: list[tuple[Any, int]] = []

        def on_b(fileobj: Any, ev: int) -> None:
            events.append((fileobj, ev))
            if ev & IOLoop.READ:
                assert fileobj.recv(10) == b"x"
                loop.remove_handler(fileobj)
                loop.stop()

        def on_a(fd: int, ev: int) -> None:
            assert ev == IOLoop.WRITE
            a.send(b"x")
            loop.remove_handler(fd)

        loop.add_handler(b, on_b, IOLoop.READ)
        loop.add_handler(a.fileno(), on_a, IOLoop.WRITE)
        with pytest.raises(ValueError):
            loop.add_handler(b, on_b, IOLoop.READ)
        watchdog = loop.call_later(5, loop.stop)
        loop.start()
        loop.remove_timeout(watchdog)
        assert events == [(b, IOLoop.READ)]
        assert not loop.handlers
    finally:
        loop.close()
        a.close()
        b.close()


def test_close_all_fds_closes_handlers() -> None:
    loop = _new_loop()
    a, b = socket.socketpair()
    try:
        loop.add_handler(a, lambda f, e: None, IOLoop.READ)
        loop.update_handler(a, IOLoop.READ | IOLoop.WRITE)
        loop.close(all_fds=True)
        assert a.fileno() == -1
    finally:
        a.close()
        b.close()


def test_make_and_clear_current_are_deprecated() -> None:
    def in_thread(out: list[Any]) -> None:
        loop = IOLoop(make_current=False)
        try:
            with pytest.warns(DeprecationWarning):
                loop.make_current()
            out.append(IOLoop.current() is loop)
            with pytest.warns(DeprecationWarning):
                IOLoop.clear_current()
            out.append(IOLoop.current(instance=False))
        finally:
            loop.close()

    out: list[Any] = []
    t = threading.Thread(target=in_thread, args=(out,))
    t.start()
    t.join()
    assert out == [True, None]
