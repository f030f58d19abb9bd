"""Tests for squall.gen: legacy coroutines, multi, with_timeout, sleep, WaitIterator."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import datetime
import logging
import time
from collections.abc import Generator
from typing import Any, cast

import pytest

from squall import gen
from squall.ioloop import IOLoop


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_coroutine_yields_futures_lists_dicts_none_moment() -> None:
    @gen.coroutine
    def legacy(a: int) -> Generator[Any, Any, int]:
        yield None
        yield gen.moment
        x = yield asyncio.sleep(0, result=a)
        pair = yield [asyncio.sleep(0, result=1), gen.sleep(0.001)]
        d = yield {"k": asyncio.sleep(0, result=10)}
        f: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        IOLoop.current().call_later(0.001, f.set_result, 100)
        y = yield f
        return cast(int, x + pair[0] + d["k"] + y)

    async def main() -> int:
        return cast(int, await legacy(5))

    assert run(main()) == 116


def test_coroutine_return_exception_and_plain_function() -> None:
    @gen.coroutine
    def with_return() -> Generator[Any, Any, None]:
        yield gen.moment
        raise gen.Return("via Return")

    @gen.coroutine
    def not_a_generator(x: int) -> int:
        return x * 2

    @gen.coroutine
    def fails() -> Generator[Any, Any, None]:
        yield asyncio.sleep(0)
        raise ValueError("inner")

    async def main() -> tuple[Any, Any]:
        a = await with_return()
        b = await not_a_generator(4)
        with pytest.raises(ValueError, match="inner"):
            await fails()
        return a, b

    assert run(main()) == ("via Return", 8)


def test_coroutine_exceptions_are_thrown_into_generator() -> None:
    async def boom() -> None:
        raise KeyError("x")

    @gen.coroutine
    def catches() -> Generator[Any, Any, str]:
        try:
            yield boom()
        except KeyError:
            return "caught"
        return "not caught"

    assert run(catches_wrapper(catches)) == "caught"


async def catches_wrapper(fn: Any) -> Any:
    return await fn()


def test_coroutine_bad_yield() -> None:
    @gen.coroutine
    def bad() -> Generator[Any, Any, None]:
        yield 42

    async def main() -> None:
        with pytest.raises(gen.BadYieldError):
            await bad()

    run(main())


def test_coroutine_runs_synchronously_until_first_yield() -> None:
    steps: list[str] = []

    @gen.coroutine
    def co() -> Generator[Any, Any, None]:
        steps.append("before")
        yield asyncio.sleep(0)
        steps.append("after")

    async def main() -> None:
        f = co()
        assert steps == ["before"]
        await f
        assert steps == ["before", "after"]

    run(main())


def test_coroutine_deep_chain_of_done_futures_does_not_recurse() -> None:
    @gen.coroutine
    def many() -> Generator[Any, Any, int]:
        total = 0
        for i in range(5000):
            f: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            f.set_result(i)
            total += yield f
        return total

    assert run(catches_wrapper(many)) == sum(range(5000))


def test_coroutine_context_is_copied() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outer")

    @gen.coroutine
    def co() -> Generator[Any, Any, str]:
        var.set("inner")
        yield asyncio.sleep(0)
        return var.get()

    async def main() -> tuple[str, str]:
        r = await co()
        return r, var.get()

    assert run(main()) == ("inner", "outer")


def test_is_coroutine_function() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, None]:
        yield None

    async def native() -> None:
        pass

    def plain() -> None:
        pass

    assert gen.is_coroutine_function(legacy)
    assert gen.is_coroutine_function(native)
    assert not gen.is_coroutine_function(plain)


def test_multi_list_dict_and_empty() -> None:
    async def main() -> None:
        assert await gen.multi([]) == []
        assert await gen.multi({}) == {}
        r = await gen.multi([asyncio.sleep(0.01, result="slow"), asyncio.sleep(0, result="fast")])
        assert r == ["slow", "fast"]
        d = await gen.multi({"a": asyncio.sleep(0, result=1), "b": [asyncio.sleep(0, result=2)]})
        assert d == {"a": 1, "b": [2]}
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            assert await gen.multi_future([ex.submit(lambda: 7)]) == [7]

    run(main())


def test_multi_first_error_raised_others_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def fail(exc: BaseException, delay: float) -> None:
        await asyncio.sleep(delay)
        raise exc

    async def main() -> None:
        with pytest.raises(ValueError, match="first"):
            await gen.multi([fail(ValueError("first"), 0.01), fail(KeyError("second"), 0)])
        with pytest.raises(ValueError):
            await gen.multi(
                [fail(ValueError("a"), 0), fail(KeyError("quiet"), 0)],
                quiet_exceptions=KeyError,
            )

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main())
    logged = [r for r in caplog.records if "Multiple exceptions" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], KeyError)


def test_multi_waits_for_all_children() -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.02)
        finished.append("slow")

    async def fail() -> None:
        raise ValueError("x")

    async def main() -> None:
        with pytest.raises(ValueError):
            await gen.multi([fail(), slow()])
        assert finished == ["slow"]

    run(main())


def test_with_timeout_expires_without_cancelling() -> None:
    async def main() -> None:
        inner = asyncio.ensure_future(asyncio.sleep(0.05, result="late"))
        loop = IOLoop.current()
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(loop.time() + 0.01, inner)
        assert not inner.cancelled()
        assert await inner == "late"
        r = await gen.with_timeout(datetime.timedelta(seconds=1), asyncio.sleep(0, result=3))
        assert r == 3
        with pytest.raises(ZeroDivisionError):
            await gen.with_timeout(datetime.timedelta(seconds=1), _raise(ZeroDivisionError()))

    run(main())


async def _raise(exc: BaseException) -> None:
    raise exc


def test_with_timeout_logs_late_errors_unless_quiet(caplog: pytest.LogCaptureFixture) -> None:
    async def late_fail(exc: BaseException) -> None:
        await asyncio.sleep(0.02)
        raise exc

    async def main() -> None:
        td = datetime.timedelta(seconds=0.005)
        t1 = asyncio.ensure_future(late_fail(ValueError("loud")))
        t2 = asyncio.ensure_future(late_fail(KeyError("quiet")))
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(td, t1)
        with pytest.raises(gen.TimeoutError):
            await gen.with_timeout(td, t2, quiet_exceptions=KeyError)
        await asyncio.wait([t1, t2])
        await asyncio.sleep(0)

    with caplog.at_level(logging.ERROR, logger="squall.application"):
        run(main())
    errs = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [type(e) for e in errs] == [ValueError]


def test_sleep_and_moment() -> None:
    async def main() -> float:
        start = time.monotonic()
        await gen.sleep(0.02)
        await gen.moment
        return time.monotonic() - start

    assert 0.015 <= run(main()) < 2


def test_convert_yielded_kinds() -> None:
    async def main() -> None:
        assert gen.convert_yielded(None) is gen.moment
        f: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        assert gen.convert_yielded(f) is f
        t = gen.convert_yielded(asyncio.sleep(0, result=9))
        assert isinstance(t, asyncio.Future)
        assert await t == 9
        with pytest.raises(gen.BadYieldError):
            gen.convert_yielded(object())
        f.set_result(1)

    run(main())


def test_wait_iterator_completion_order_and_errors() -> None:
    async def main() -> list[Any]:
        it = gen.WaitIterator(
            asyncio.sleep(0.03, result="c"),
            asyncio.sleep(0.0, result="a"),
            _delayed_error(0.015),
        )
        seen: list[Any] = []
        while not it.done():
            try:
                seen.append((it_result := await it.next(), it.current_index))
                del it_result
            except ValueError:
                seen.append(("err", it.current_index))
        return seen

    assert run(main()) == [("a", 1), ("err", 2), ("c", 0)]


async def _delayed_error(delay: float) -> None:
    await asyncio.sleep(delay)
    raise ValueError("x")


def test_wait_iterator_async_for_kwargs() -> None:
    async def main() -> dict[str, Any]:
        it = gen.WaitIterator(x=asyncio.sleep(0.01, result=1), y=asyncio.sleep(0, result=2))
        out: dict[str, Any] = {}
        async for r in it:
            out[it.current_index] = r
        return out

    assert run(main()) == {"x": 1, "y": 2}
    with pytest.raises(ValueError):
        gen.WaitIterator(None, y=None)  # type: ignore[arg-type]


def test_coroutine_under_run_sync() -> None:
    @gen.coroutine
    def legacy() -> Generator[Any, Any, str]:
        yield gen.sleep(0.001)
        return "ok"

    loop = IOLoop(make_current=False)
    try:
        assert loop.run_sync(legacy) == "ok"
    finally:
        loop.close()
