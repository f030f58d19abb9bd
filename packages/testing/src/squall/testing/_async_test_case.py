"""AsyncTestCase: a unittest.TestCase with a fresh IOLoop for every test."""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
import unittest
import warnings
from collections.abc import Callable, Generator
from types import TracebackType
from typing import Any

from squall.ioloop import AsyncIOMainLoop, IOLoop
from squall.log import app_log
from squall.testing._ports import get_async_test_timeout

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class _UncaughtLogHandler(logging.Handler):
    """Reports the IOLoop's "Exception in callback" errors to the test.

    It sits on ``squall.application`` as a handler, so an :class:`ExpectLog`
    filter on that logger (which runs before handlers) hides expected errors.
    """

    def __init__(self, report: Callable[[_ExcInfo], None]) -> None:
        super().__init__(logging.ERROR)
        self._report = report

    def emit(self, record: logging.LogRecord) -> None:
        exc_info = record.exc_info
        if record.msg == "Exception in callback %r" and exc_info and exc_info[1] is not None:
            assert exc_info[0] is not None
            self._report((exc_info[0], exc_info[1], exc_info[2]))


class AsyncTestCase(unittest.TestCase):
    """:class:`unittest.TestCase` for code that runs on an IOLoop.

    Tornado 6.5's ``tornado.testing.AsyncTestCase``. Each test gets a brand-new
    :class:`~squall.ioloop.IOLoop` in :attr:`io_loop`, made the thread's current
    loop during the test and closed (with every fd registered on it) in
    :meth:`tearDown`, after the tasks still pending on it are cancelled.

    Test methods are either ``async def`` (or legacy generators) decorated with
    :func:`gen_test`, or plain methods that drive the loop with the legacy
    :meth:`stop`/:meth:`wait` pair. An undecorated coroutine or generator test
    method raises :class:`TypeError` instead of silently passing, and a test
    method returning anything but ``None`` raises :class:`ValueError`.

    An exception nobody handled fails the test, as in Tornado: an exception
    escaping an IOLoop callback (logged as ``Exception in callback`` on
    ``squall.application``) or reported to the asyncio loop's exception handler
    (e.g. a task's exception that was never retrieved) is re-raised by
    :meth:`wait` at once, or at the end of the test. Wrap expected ones in
    :class:`ExpectLog` on ``squall.application``.

    Example::

        class MyTest(AsyncTestCase):
            @gen_test
            async def test_sleep(self):
                await asyncio.sleep(0.01)

            def test_legacy(self):
                self.io_loop.call_later(0.01, self.stop, 42)
                self.assertEqual(self.wait(), 42)

    Attributes:
        io_loop (IOLoop): the test's loop (set in :meth:`setUp`).
    """

    io_loop: IOLoop

    def __init__(self, methodName: str = "runTest") -> None:  # noqa: N803 - unittest's name
        super().__init__(methodName)
        self.__stopped = False
        self.__running = False
        self.__failure: _ExcInfo | None = None
        self.__stop_args: Any = None
        self.__timeout: asyncio.TimerHandle | None = None
        self.__log_handler: _UncaughtLogHandler | None = None

    def setUp(self) -> None:
        """Create :attr:`io_loop` with :meth:`get_new_ioloop` and make it current.

        Also starts watching for uncaught exceptions (see the class docstring).
        """
        super().setUp()
        if type(self).get_new_ioloop is not AsyncTestCase.get_new_ioloop:
            warnings.warn(
                "get_new_ioloop is deprecated (Tornado 6.3)", DeprecationWarning, stacklevel=2
            )
        self.io_loop = self.get_new_ioloop()
        if IOLoop.current(instance=False) is not self.io_loop:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self.io_loop.make_current()
        self.io_loop.asyncio_loop.set_exception_handler(self.__asyncio_exception)
        self.__log_handler = _UncaughtLogHandler(self._handle_failure)
        app_log.addHandler(self.__log_handler)

    def tearDown(self) -> None:
        """Cancel the loop's pending tasks, close :attr:`io_loop`, report failures.

        Raises:
            BaseException: the first uncaught exception seen during the test.
        """
        loop = self.io_loop.asyncio_loop
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            # Let the cancelled tasks unwind (their finally blocks) before closing.
            self.io_loop.run_sync(lambda: asyncio.wait(pending))
            for task in pending:
                if not task.cancelled() and task.exception() is not None:
                    app_log.error(
                        "task failed while cancelled at teardown", exc_info=task.exception()
                    )
        if self.__log_handler is not None:
            app_log.removeHandler(self.__log_handler)
            self.__log_handler = None
        if not isinstance(self.io_loop, AsyncIOMainLoop):
            self.io_loop.close(all_fds=True)
        asyncio.set_event_loop(None)
        super().tearDown()
        self.__rethrow()

    def get_new_ioloop(self) -> IOLoop:
        """Return the IOLoop for one test (a new one by default).

        Deprecated in Tornado 6.3: overriding it emits a
        :class:`DeprecationWarning` (configure the loop with
        :meth:`IOLoop.configure` instead). A returned
        :class:`~squall.ioloop.AsyncIOMainLoop` is not closed at teardown.

        Returns:
            A new :class:`~squall.ioloop.IOLoop`, current in this thread.
        """
        loop: IOLoop = IOLoop(make_current=True)
        return loop

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        """Run the test (see :meth:`unittest.TestCase.run`).

        Args:
            result: the result object collecting the outcome.

        Returns:
            The result object.
        """
        ret = super().run(result)
        # A failure that escaped tearDown (setUp failed, for instance) is not lost.
        self.__rethrow()
        return ret

    def _callTestMethod(self, method: Callable[[], object]) -> None:  # noqa: N802 - unittest's name
        result = method()
        if isinstance(result, Generator) or inspect.iscoroutine(result):
            if inspect.iscoroutine(result):
                result.close()  # no "never awaited" warning on top of the error
            raise TypeError(
                "Generator and coroutine test methods should be decorated with "
                "squall.testing.gen_test"
            )
        if result is not None:
            raise ValueError(f"Return value from test method ignored: {result!r}")

    # -- uncaught exceptions ----------------------------------------------------
    def _handle_failure(self, exc_info: _ExcInfo) -> None:
        if self.__failure is None:
            self.__failure = exc_info
        else:
            app_log.error("multiple unhandled exceptions in test", exc_info=exc_info)
        self.stop()

    def __asyncio_exception(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self._handle_failure((type(exc), exc, exc.__traceback__))
        else:
            loop.default_exception_handler(context)

    def __rethrow(self) -> None:
        if self.__failure is not None:
            failure, self.__failure = self.__failure, None
            raise failure[1].with_traceback(failure[2])

    # -- the legacy stop/wait API -----------------------------------------------
    def stop(self, _arg: Any = None, **kwargs: Any) -> None:
        """Stop :attr:`io_loop`, making a pending :meth:`wait` return.

        Legacy (pre-coroutine) API kept from Tornado. The positional argument, or
        the keyword arguments as a dict, become :meth:`wait`'s return value.

        Args:
            _arg: value for :meth:`wait` to return.
            **kwargs: returned by :meth:`wait` as a dict (not with ``_arg``).
        """
        assert _arg is None or not kwargs
        self.__stop_args = kwargs or _arg
        if self.__running:
            self.io_loop.stop()
            self.__running = False
        self.__stopped = True

    def wait(
        self, condition: Callable[[], bool] | None = None, timeout: float | None = None
    ) -> Any:
        """Run :attr:`io_loop` until :meth:`stop` is called or ``timeout`` expires.

        Legacy API kept from Tornado. If :meth:`stop` was already called since the
        last ``wait``, return at once.

        Args:
            condition: called after each :meth:`stop`; keep running until it
                returns true.
            timeout: seconds before failing; default
                :func:`get_async_test_timeout`. ``0`` waits forever.

        Returns:
            What was passed to :meth:`stop`.

        Raises:
            AssertionError: (``self.failureException``) the timeout expired.
            BaseException: an uncaught exception seen on the loop meanwhile.
        """
        if timeout is None:
            timeout = get_async_test_timeout()
        if not self.__stopped:
            if timeout:

                def timeout_func() -> None:
                    try:
                        raise self.failureException(
                            f"Async operation timed out after {timeout} seconds"
                        )
                    except self.failureException:
                        exc_type, exc, tb = sys.exc_info()
                        assert exc_type is not None and exc is not None
                        self.__failure = (exc_type, exc, tb)
                    self.stop()

                self.__timeout = self.io_loop.call_later(timeout, timeout_func)
            while True:
                self.__running = True
                self.io_loop.start()
                if self.__failure is not None or condition is None or condition():
                    break
            if self.__timeout is not None:
                self.io_loop.remove_timeout(self.__timeout)
                self.__timeout = None
        assert self.__stopped
        self.__stopped = False
        self.__rethrow()
        result = self.__stop_args
        self.__stop_args = None
        return result
