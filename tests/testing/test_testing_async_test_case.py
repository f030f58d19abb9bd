"""AsyncTestCase, gen_test, the stop/wait API, ExpectLog, ports and timeouts.

Each test defines an inner ``AsyncTestCase`` and runs it with a plain
``unittest.TestResult``, so a test meant to fail can be checked to fail.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import unittest
from collections.abc import Generator
from typing import Any, ClassVar

import pytest

from squall import gen
from squall.ioloop import IOLoop
from squall.log import app_log, gen_log
from squall.testing import (
    AsyncTestCase,
    ExpectLog,
    bind_unused_port,
    gen_test,
    get_async_test_timeout,
    main,
)
from squall.util import TimeoutError


def run_case(case: type[unittest.TestCase], *names: str) -> unittest.TestResult:
    result = unittest.TestResult()
    suite = unittest.TestSuite(case(name) for name in names)
    suite.run(result)
    return result


def assert_passed(result: unittest.TestResult) -> None:
    problems = [text for _, text in result.errors + result.failures]
    assert result.wasSuccessful(), "\n".join(problems)


def single_problem(result: unittest.TestResult) -> str:
    problems = [text for _, text in result.errors + result.failures]
    assert len(problems) == 1, problems
    return problems[0]


class Recorder(AsyncTestCase):
    """Remembers its loop so the tests can check it was fresh and closed."""

    loops: ClassVar[list[IOLoop]] = []

    def setUp(self) -> None:
        super().setUp()
        Recorder.loops.append(self.io_loop)

    @gen_test
    async def test_native(self) -> None:
        assert IOLoop.current() is self.io_loop
        await asyncio.sleep(0.001)

    @gen_test(timeout=2)
    def test_generator(self) -> Generator[Any, Any, None]:
        value = yield gen.sleep(0.001)
        assert value is None

    def test_plain(self) -> None:
        assert IOLoop.current() is self.io_loop


def test_each_test_gets_a_fresh_current_loop_closed_afterwards() -> None:
    Recorder.loops = []
    assert_passed(run_case(Recorder, "test_native", "test_generator", "test_plain"))
    loops = Recorder.loops
    assert len({id(loop) for loop in loops}) == 3
    assert all(loop.asyncio_loop.is_closed() for loop in loops)


def test_gen_test_timeout_fails_the_test() -> None:
    class Slow(AsyncTestCase):
        @gen_test(timeout=0.05)
        async def test_slow(self) -> None:
            await asyncio.sleep(10)

    text = single_problem(run_case(Slow, "test_slow"))
    assert "TimeoutError" in text and "0.05 seconds" in text


def test_gen_test_default_timeout_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.05")
    assert get_async_test_timeout() == 0.05

    class Slow(AsyncTestCase):
        @gen_test
        async def test_slow(self) -> None:
            await asyncio.sleep(10)

    assert "0.05 seconds" in single_problem(run_case(Slow, "test_slow"))
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "not a number")
    assert get_async_test_timeout() == 5.0
    monkeypatch.delenv("ASYNC_TEST_TIMEOUT")
    assert get_async_test_timeout() == 5.0


def test_gen_test_propagates_the_test_failure() -> None:
    class Failing(AsyncTestCase):
        @gen_test
        async def test_fails(self) -> None:
            await asyncio.sleep(0)
            self.assertEqual(1, 2)

    result = run_case(Failing, "test_fails")
    assert len(result.failures) == 1 and "1 != 2" in result.failures[0][1]


def test_undecorated_coroutine_or_generator_test_is_an_error() -> None:
    class Forgot(AsyncTestCase):
        async def test_coroutine(self) -> None:
            raise AssertionError("never runs")

        def test_generator(self) -> Generator[None, None, None]:
            yield None

        def test_returns(self) -> int:
            return 3

    result = run_case(Forgot, "test_coroutine", "test_generator", "test_returns")
    texts = [text for _, text in result.errors]
    assert len(texts) == 3
    assert sum("should be decorated with squall.testing.gen_test" in t for t in texts) == 2
    assert any("Return value from test method ignored: 3" in t for t in texts)


def test_stop_and_wait() -> None:
    class Legacy(AsyncTestCase):
        def test_value(self) -> None:
            self.io_loop.call_later(0.01, self.stop, "done")
            self.assertEqual(self.wait(), "done")

        def test_kwargs(self) -> None:
            self.io_loop.add_callback(lambda: self.stop(a=1, b=2))
            self.assertEqual(self.wait(), {"a": 1, "b": 2})

        def test_stopped_before_wait(self) -> None:
            self.stop(7)
            self.assertEqual(self.wait(), 7)

        def test_condition(self) -> None:
            calls: list[int] = []

            def tick() -> None:
                calls.append(1)
                self.stop()

            for delay in (0.01, 0.02, 0.03):
                self.io_loop.call_later(delay, tick)
            self.wait(condition=lambda: len(calls) == 3)
            self.assertEqual(len(calls), 3)

        def test_wait_times_out(self) -> None:
            with self.assertRaises(self.failureException) as ctx:
                self.wait(timeout=0.05)
            self.assertIn("timed out after 0.05 seconds", str(ctx.exception))

    assert_passed(
        run_case(
            Legacy,
            "test_value",
            "test_kwargs",
            "test_stopped_before_wait",
            "test_condition",
            "test_wait_times_out",
        )
    )


def test_exception_in_a_callback_is_raised_by_wait() -> None:
    class Callback(AsyncTestCase):
        def test_it(self) -> None:
            self.io_loop.add_callback(lambda: 1 / 0)
            with self.assertRaises(ZeroDivisionError):
                self.wait()

    assert_passed(run_case(Callback, "test_it"))


def test_a_test_that_logs_an_uncaught_exception_fails() -> None:
    class Unexpected(AsyncTestCase):
        @gen_test
        async def test_callback(self) -> None:
            self.io_loop.add_callback(lambda: 1 / 0)
            await asyncio.sleep(0.01)

        @gen_test
        async def test_task(self) -> None:
            async def boom() -> None:
                raise KeyError("lost")

            task = asyncio.get_running_loop().create_task(boom())
            await asyncio.sleep(0.01)
            del task  # never retrieved: the loop's exception handler hears of it

    assert "ZeroDivisionError" in single_problem(run_case(Unexpected, "test_callback"))
    assert "KeyError: 'lost'" in single_problem(run_case(Unexpected, "test_task"))


def test_an_expected_logged_exception_does_not_fail() -> None:
    class Expected(AsyncTestCase):
        @gen_test
        async def test_callback(self) -> None:
            with ExpectLog(app_log, "Exception in callback"):
                self.io_loop.add_callback(lambda: 1 / 0)
                await asyncio.sleep(0.01)

    assert_passed(run_case(Expected, "test_callback"))


def test_exception_reported_to_the_asyncio_handler_fails_the_test() -> None:
    class Handler(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            loop = asyncio.get_running_loop()
            loop.call_exception_handler({"message": "boom", "exception": KeyError("lost")})

    assert "KeyError: 'lost'" in single_problem(run_case(Handler, "test_it"))


def test_pending_tasks_are_cancelled_at_teardown() -> None:
    seen: list[str] = []

    class Leaves(AsyncTestCase):
        @gen_test
        async def test_it(self) -> None:
            async def forever() -> None:
                try:
                    await asyncio.sleep(100)
                except asyncio.CancelledError:
                    seen.append("cancelled")
                    raise

            asyncio.get_running_loop().create_task(forever())
            await asyncio.sleep(0)

    assert_passed(run_case(Leaves, "test_it"))
    assert seen == ["cancelled"]


def test_overriding_get_new_ioloop_is_deprecated() -> None:
    class Custom(AsyncTestCase):
        def get_new_ioloop(self) -> IOLoop:
            loop: IOLoop = IOLoop(make_current=False)
            return loop

        def test_it(self) -> None:
            assert IOLoop.current() is self.io_loop

    with pytest.warns(DeprecationWarning, match="get_new_ioloop"):
        assert_passed(run_case(Custom, "test_it"))


# -------------------------------------------------------------------- ExpectLog


def test_expect_log_required_and_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    with ExpectLog("squall.general", "expected .* here") as expect:
        gen_log.warning("expected message here")
        gen_log.warning("expected twice here")
        gen_log.warning("something else")
    assert expect.matched == 2
    assert [r.getMessage() for r in caplog.records] == ["something else"]
    with (
        pytest.raises(Exception, match="did not get expected log message"),
        ExpectLog(gen_log, "never logged"),
    ):
        gen_log.warning("unrelated")


def test_expect_log_not_required() -> None:
    with ExpectLog(gen_log, "never logged", required=False) as expect:
        pass
    assert expect.matched == 0


def test_expect_log_matches_at_the_start_only() -> None:
    with (
        pytest.raises(Exception, match="did not get expected log message"),
        ExpectLog(gen_log, "needle"),
    ):
        gen_log.warning("hay needle")


def test_expect_log_does_not_hide_an_exception_from_the_block() -> None:
    with pytest.raises(KeyError), ExpectLog(gen_log, "never logged"):
        raise KeyError("boom")


def test_expect_log_level(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("squall.test.expectlog")
    logger.setLevel(logging.WARNING)
    with ExpectLog(logger, "quiet", level=logging.INFO) as expect:
        assert logger.isEnabledFor(logging.INFO)
        logger.info("quiet info")
    assert expect.matched == 1
    assert logger.level == logging.WARNING
    caplog.clear()
    with ExpectLog(logger, "loud", level=logging.INFO, required=False) as expect:
        logger.warning("loud warning")
    assert expect.matched == 0
    assert any("unexpected level" in r.getMessage() for r in caplog.records)


def test_expect_log_records_stack_traces() -> None:
    with ExpectLog(gen_log, "oops") as expect:
        try:
            raise ValueError("x")
        except ValueError:
            gen_log.exception("oops")
    assert expect.logged_stack


def test_expect_log_info_match_without_level_is_deprecated() -> None:
    logger = logging.getLogger("squall.test.expectlog.info")
    logger.setLevel(logging.INFO)
    with pytest.warns(DeprecationWarning, match="without level"), ExpectLog(logger, "info"):
        logger.info("info message")


# ---------------------------------------------------------- ports and main()


def test_bind_unused_port_listens() -> None:
    sock, port = bind_unused_port()
    with sock:
        assert sock.getsockname() == ("127.0.0.1", port)
        with socket.create_connection(("127.0.0.1", port)):
            pass
    if hasattr(socket, "SO_REUSEPORT"):
        sock, port = bind_unused_port(reuse_port=True)
        with sock:
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)


def test_main_runs_named_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    module = type(sys)("squall_testing_main_target")

    class Passing(unittest.TestCase):
        def test_ok(self) -> None:
            pass

    module.Passing = Passing  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(sys, "argv", ["prog", "--quiet", f"{module.__name__}.Passing"])
    with (
        open(os.devnull, "w") as devnull,
        ExpectLog(gen_log, "PASS", level=logging.INFO),
        pytest.raises(SystemExit) as exit_info,
    ):
        main(testRunner=unittest.TextTestRunner(stream=devnull))
    assert exit_info.value.code in (0, False)


def test_timeout_error_is_squalls() -> None:
    assert issubclass(TimeoutError, Exception)
