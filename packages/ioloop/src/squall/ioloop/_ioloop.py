"""``IOLoop``: Tornado's event-loop facade over an asyncio event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import functools
import os
import sys
import threading
import time as _time
import warnings
from asyncio.events import _get_running_loop
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any, ClassVar, Literal, TypeVar, cast, overload

from squall.concurrent import (
    future_add_done_callback,
    future_set_exc_info,
    is_future,
)
from squall.ioloop import _fd
from squall.ioloop._fd import FileLike as _FileLike
from squall.ioloop._handles import CallbackHandle, fast_loop, push_timer
from squall.ioloop._handles import run_callback as _run_callback
from squall.util import Configurable, TimeoutError

_T = TypeVar("_T")


class _CurrentState(threading.local):
    loop: IOLoop | None = None


_current = _CurrentState()
_get_ident = threading.get_ident
_monotonic = _time.monotonic


def _default_executor_size() -> int:
    # Tornado asks ``tornado.process.cpu_count`` (a layer above); we read the
    # OS directly to keep squall-ioloop free of upward imports.
    return (os.cpu_count() or 1) * 5


class IOLoop(Configurable):
    """An I/O event loop: a thin wrapper around an :mod:`asyncio` event loop.

    Follows ``tornado.ioloop.IOLoop`` (6.x): there is exactly one ``IOLoop``
    per asyncio loop. ``IOLoop()`` creates a *new* asyncio loop (and makes it
    current); :meth:`current` returns the ``IOLoop`` for the running (or
    current) asyncio loop, creating the wrapper on demand.

    Callbacks scheduled here run on the loop; exceptions they raise, and
    failures of the coroutines/futures they return, are logged on
    ``squall.application``.

    Args:
        make_current: make the new loop current for this thread (default true).
    """

    NONE = 0
    READ = _fd.READ
    WRITE = _fd.WRITE
    ERROR = _fd.ERROR

    _ioloop_for_asyncio: ClassVar[dict[asyncio.AbstractEventLoop, IOLoop]] = {}

    asyncio_loop: asyncio.AbstractEventLoop

    @classmethod
    def configurable_base(cls) -> type[Configurable]:
        """Return :class:`IOLoop`, the root of the configurable hierarchy."""
        return IOLoop

    @classmethod
    def configurable_default(cls) -> type[Configurable]:
        """Return :class:`AsyncIOLoop`, the default implementation."""
        from squall.ioloop._asyncio_loops import AsyncIOLoop  # noqa: PLC0415 - subclass

        return AsyncIOLoop

    @classmethod
    def configure(cls, impl: type[Configurable] | str | None, **kwargs: Any) -> None:
        """Choose the class (and constructor keywords) that ``IOLoop()`` builds.

        Follows ``tornado.ioloop.IOLoop.configure``: only asyncio-based classes
        are allowed. ``kwargs`` are passed to every later ``IOLoop()`` (and to the
        loop :meth:`current` creates when none exists), so
        ``IOLoop.configure(AsyncIOLoop, loop_factory=uvloop.new_event_loop)``
        makes Tornado-style code that builds its own loops run on uvloop.

        Args:
            impl: a :class:`BaseAsyncIOLoop` subclass, its dotted name, or ``None``
                to restore the default (:class:`AsyncIOLoop`).
            **kwargs: keyword arguments for the constructor (e.g. ``loop_factory``).

        Raises:
            RuntimeError: if ``impl`` is a class that is not a ``BaseAsyncIOLoop``.
            ValueError: if ``impl`` is not a class at all.
        """
        from squall.ioloop._asyncio_loops import BaseAsyncIOLoop  # noqa: PLC0415 - subclass
        from squall.util import import_object  # noqa: PLC0415

        resolved = import_object(impl) if isinstance(impl, str) else impl
        if isinstance(resolved, type) and not issubclass(resolved, BaseAsyncIOLoop):
            raise RuntimeError("only AsyncIOLoop is allowed when asyncio is available")
        super().configure(resolved, **kwargs)

    # -- the current loop ------------------------------------------------
    @overload
    @staticmethod
    def current() -> IOLoop: ...
    @overload
    @staticmethod
    def current(instance: Literal[True] = True) -> IOLoop: ...
    @overload
    @staticmethod
    def current(instance: bool = True) -> IOLoop | None: ...
    @staticmethod
    def current(instance: bool = True) -> IOLoop | None:
        """Return the IOLoop of the running asyncio loop (or of this thread's current loop).

        Args:
            instance: when no IOLoop exists yet: if true create one (wrapping
                the running asyncio loop, or a brand-new loop made current);
                if false return ``None``.

        Returns:
            The :class:`IOLoop`, or ``None`` (only when ``instance`` is false).
        """
        loop = _get_running_loop()
        if loop is None:
            current = _current.loop
            if current is not None and not current._closed:
                return current
            if not instance:
                return None
            # Honour IOLoop.configure (e.g. a loop_factory for uvloop).
            return cast(IOLoop, IOLoop(make_current=True))
        existing = IOLoop._ioloop_for_asyncio.get(loop)
        if existing is not None:
            return existing
        if not instance:
            return None
        from squall.ioloop._asyncio_loops import AsyncIOMainLoop  # noqa: PLC0415 - subclass

        return cast(IOLoop, AsyncIOMainLoop(asyncio_loop=loop))

    @staticmethod
    def instance() -> IOLoop:
        """Deprecated alias for :meth:`current` (Tornado keeps it, without a warning)."""
        return IOLoop.current()

    def install(self) -> None:
        """Deprecated alias for :meth:`make_current`; emits :class:`DeprecationWarning`."""
        warnings.warn(
            "install is deprecated; start the event loop first", DeprecationWarning, stacklevel=2
        )
        self._make_current()

    @staticmethod
    def clear_instance() -> None:
        """Deprecated alias for :meth:`clear_current`; emits :class:`DeprecationWarning`."""
        warnings.warn("clear_instance is deprecated", DeprecationWarning, stacklevel=2)
        IOLoop._clear_current()

    def make_current(self) -> None:
        """Make this the current IOLoop (and asyncio loop) of the calling thread.

        Deprecated in Tornado 6.2 (emits :class:`DeprecationWarning`): prefer
        starting the loop with :func:`asyncio.run`.
        """
        warnings.warn(
            "make_current is deprecated; start the event loop first",
            DeprecationWarning,
            stacklevel=2,
        )
        self._make_current()

    def _make_current(self) -> None:
        _current.loop = self
        asyncio.set_event_loop(self.asyncio_loop)

    @staticmethod
    def clear_current() -> None:
        """Forget the calling thread's current IOLoop.

        Deprecated in Tornado 6.2; emits :class:`DeprecationWarning`.
        """
        warnings.warn("clear_current is deprecated", DeprecationWarning, stacklevel=2)
        IOLoop._clear_current()

    @staticmethod
    def _clear_current() -> None:
        old = _current.loop
        _current.loop = None
        if old is not None:
            asyncio.set_event_loop(None)

    # -- construction --------------------------------------------------------
    def initialize(self, make_current: bool = True) -> None:
        """Set up the instance; called by the constructor. Subclasses extend it."""
        if make_current:
            self._make_current()

    def _register(self, asyncio_loop: asyncio.AbstractEventLoop) -> None:
        # Drop wrappers of loops that were closed without IOLoop.close().
        for stale in [lp for lp in IOLoop._ioloop_for_asyncio if lp.is_closed()]:
            del IOLoop._ioloop_for_asyncio[stale]
        if asyncio_loop in IOLoop._ioloop_for_asyncio:
            raise RuntimeError(f"IOLoop already exists for {asyncio_loop!r}")
        self.asyncio_loop = asyncio_loop
        self._closed = False
        self._executor_set = False
        self._own_executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._call_soon = asyncio_loop.call_soon
        self._call_soon_threadsafe = asyncio_loop.call_soon_threadsafe
        # The standard library's loop, when squall may queue callbacks on it directly
        # (see _handles.py), else None.
        self._fast: Any = fast_loop(asyncio_loop)
        self._fds = _fd.FDRegistry(asyncio_loop)
        # Tornado's asyncio IOLoops expose these three; they are the registry's.
        self.handlers = self._fds.handlers
        self.readers = self._fds.readers
        self.writers = self._fds.writers
        IOLoop._ioloop_for_asyncio[asyncio_loop] = self

    # -- running -------------------------------------------------------------
    def start(self) -> None:
        """Run the loop until :meth:`stop` is called.

        The asyncio loop is made the thread's current loop while it runs.

        Raises:
            RuntimeError: if this or another loop is already running in this thread.
        """
        old_current = _current.loop
        _current.loop = self
        try:
            asyncio.set_event_loop(self.asyncio_loop)
            self.asyncio_loop.run_forever()
        finally:
            _current.loop = old_current
            if old_current is not None and not old_current._closed:
                asyncio.set_event_loop(old_current.asyncio_loop)

    def stop(self) -> None:
        """Stop the loop after the current iteration; :meth:`start` then returns.

        Call it from the loop's thread (use ``add_callback(loop.stop)`` from others).
        """
        self.asyncio_loop.stop()

    def run_sync(self, func: Callable[[], Any], timeout: float | None = None) -> Any:
        """Start the loop, run ``func`` on it, and stop when its result is ready.

        ``func`` may return an awaitable (coroutine or future), a yieldable
        (list/dict of them) or ``None``; like Tornado, any other plain value
        is rejected with :class:`squall.gen.BadYieldError`.

        Args:
            func: zero-argument callable.
            timeout: seconds; on expiry the pending future is cancelled.

        Returns:
            The result of ``func`` (awaited if needed).

        Raises:
            squall.util.TimeoutError: if ``timeout`` expires first.
            squall.gen.BadYieldError: if ``func`` returned a non-yieldable value.
            BaseException: whatever ``func`` raised.
        """
        from squall.gen import convert_yielded  # noqa: PLC0415 - gen imports ioloop

        cell: list[asyncio.Future[Any] | None] = [None]

        def run() -> None:
            try:
                result = func()
                if result is not None:
                    result = convert_yielded(result)
            except Exception:
                fut: asyncio.Future[Any] = self.asyncio_loop.create_future()
                cell[0] = fut
                future_set_exc_info(fut, sys.exc_info())
            else:
                if is_future(result):
                    cell[0] = result
                else:
                    fut = self.asyncio_loop.create_future()
                    fut.set_result(result)
                    cell[0] = fut
            assert cell[0] is not None
            self.add_future(cell[0], lambda _f: self.stop())

        self.add_callback(run)
        handle = None
        if timeout is not None:

            def on_timeout() -> None:
                assert cell[0] is not None
                # Cancel and let the add_future callback stop the loop once the
                # task has unwound; if it cannot be cancelled, stop right away.
                if not cell[0].cancel():
                    self.stop()

            handle = self.call_later(timeout, on_timeout)
        self.start()
        if handle is not None:
            self.remove_timeout(handle)
        fut_done = cell[0]
        assert fut_done is not None
        if fut_done.cancelled() or not fut_done.done():
            raise TimeoutError(f"Operation timed out after {timeout} seconds")
        return fut_done.result()

    def close(self, all_fds: bool = False) -> None:
        """Close the loop and release its resources.

        Args:
            all_fds: also close every file object registered with :meth:`add_handler`.

        Raises:
            RuntimeError: if the loop is running.
        """
        if self._closed:
            return
        if self.asyncio_loop.is_running():
            raise RuntimeError("Cannot close a running event loop")
        self._closed = True
        for fd in list(self.handlers):
            fileobj = self._fds.remove(fd)
            if all_fds and fileobj is not None:
                self.close_fd(fileobj)
        IOLoop._ioloop_for_asyncio.pop(self.asyncio_loop, None)
        if _current.loop is self:
            _current.loop = None
            asyncio.set_event_loop(None)
        self._close_asyncio_loop()

    def _close_asyncio_loop(self) -> None:
        loop = self.asyncio_loop
        if not loop.is_closed():
            loop.close()
        if self._own_executor is not None:
            # Wait for the worker threads so that none outlives the loop.
            self._own_executor.shutdown(wait=True, cancel_futures=True)
            self._own_executor = None

    def time(self) -> float:
        """Return the loop's monotonic clock in seconds (``asyncio`` ``loop.time()``)."""
        return self.asyncio_loop.time()

    # -- callbacks ------------------------------------------------------------
    def add_callback(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Schedule ``callback(*args, **kwargs)`` on the next loop iteration.

        The only thread-safe method of ``IOLoop`` (as in Tornado): from the loop's
        own thread it is one ``call_soon`` (on the standard asyncio loop, the handle
        ``call_soon`` would make is queued directly); from any other thread it uses
        ``call_soon_threadsafe``, which wakes the loop. Callbacks run in the order
        they were added, interleaved with the loop's other callbacks exactly as with
        ``call_soon``, each in a copy of the caller's ``contextvars`` context. From a
        signal handler use
        :meth:`add_callback_from_signal` (or, better, asyncio's
        ``loop.add_signal_handler``). A callback added after the loop closed is
        dropped silently, like Tornado. Exceptions the callback raises are logged
        on ``squall.application``; if it returns an awaitable (a coroutine function
        may be passed directly), that is run and its failure logged too.

        Args:
            callback: the function to call; ``args`` and ``kwargs`` are passed to it.
        """
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        fast = self._fast
        if fast is not None:
            # The standard loop, running on this thread (``_thread_id`` is what its
            # debug mode checks; reading it is cheaper than _get_running_loop()):
            # queue the handle as call_soon would, minus its Python layers.
            if fast._thread_id == _get_ident() and not fast._debug:
                fast._ready.append(CallbackHandle(callback, fast))
                return
        elif _get_running_loop() is self.asyncio_loop:
            # Any other loop, on its own thread: a single call_soon.
            self._call_soon(_run_callback, callback)
            return
        try:
            # Another thread, a loop that is not running, or debug mode.
            self._call_soon_threadsafe(_run_callback, callback)
        except RuntimeError:
            return  # "Event loop is closed": drop, like Tornado.

    def add_callback_from_signal(
        self, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """Schedule ``callback`` from a signal handler (deprecated, as in Tornado 6.4).

        Emits :class:`DeprecationWarning`: Tornado 6.4 deprecated it in favour of
        asyncio's ``loop.add_signal_handler``. Unlike :meth:`add_callback` it always
        wakes the loop (``call_soon_threadsafe``), because a Python signal handler
        runs on the main thread, often while that thread's loop sleeps in
        ``select``; a plain ``call_soon`` would then wait for the next event.

        Args:
            callback: the function to call; ``args`` and ``kwargs`` are passed to it.
        """
        warnings.warn("add_callback_from_signal is deprecated", DeprecationWarning, stacklevel=2)
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        try:
            self._call_soon_threadsafe(_run_callback, callback)
        except RuntimeError:
            return  # closed: dropped, as in add_callback

    def spawn_callback(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callback`` on the next iteration; the same as :meth:`add_callback`.

        Tornado keeps both names: ``spawn_callback`` documents the intent of starting
        a coroutine function that nobody waits for (its failure is logged).
        """
        self.add_callback(callback, *args, **kwargs)

    def call_at(
        self, when: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> asyncio.TimerHandle:
        """Run ``callback(*args, **kwargs)`` at the absolute time ``when``.

        Args:
            when: seconds on :meth:`time`'s clock.
            callback: the function; exceptions and returned awaitables are handled
                as in :meth:`add_callback`.

        Returns:
            A handle for :meth:`remove_timeout`.
        """
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        fast = self._fast
        if fast is not None and when is not None and not fast._debug and not fast._closed:
            return push_timer(fast, when, callback)
        return self.asyncio_loop.call_at(when, _run_callback, callback)

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> asyncio.TimerHandle:
        """Run ``callback(*args, **kwargs)`` after ``delay`` seconds.

        Args:
            delay: seconds from now (:meth:`time`'s clock); ``0`` runs it on the
                next iteration after the callbacks already due.
            callback: the function, handled as in :meth:`add_callback`.

        Returns:
            A handle for :meth:`remove_timeout`.
        """
        if args or kwargs:
            callback = functools.partial(callback, *args, **kwargs)
        fast = self._fast
        if fast is not None and delay is not None and not fast._debug and not fast._closed:
            # BaseEventLoop.time() is time.monotonic() (fast_loop checked it is not
            # overridden).
            return push_timer(fast, _monotonic() + delay, callback)
        return self.asyncio_loop.call_later(delay, _run_callback, callback)

    def add_timeout(
        self,
        deadline: float | datetime.timedelta,
        callback: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> asyncio.TimerHandle:
        """Run ``callback`` at ``deadline``.

        Args:
            deadline: absolute time on :meth:`time`'s clock (seconds), or a
                :class:`datetime.timedelta` relative to now.
            callback: the function; extra arguments are passed to it.

        Returns:
            A handle for :meth:`remove_timeout`.

        Raises:
            TypeError: for any other ``deadline`` type.
        """
        if isinstance(deadline, datetime.timedelta):
            return self.call_at(self.time() + deadline.total_seconds(), callback, *args, **kwargs)
        if isinstance(deadline, int | float) and not isinstance(deadline, bool):
            return self.call_at(float(deadline), callback, *args, **kwargs)
        raise TypeError(f"Unsupported deadline {deadline!r}")

    def remove_timeout(self, timeout: asyncio.TimerHandle | asyncio.Handle) -> None:
        """Cancel a pending timeout (no-op if it already ran)."""
        timeout.cancel()

    def add_future(
        self,
        future: asyncio.Future[_T] | concurrent.futures.Future[_T] | Awaitable[_T],
        callback: Callable[[Any], Any],
    ) -> None:
        """Run ``callback(future)`` on this loop once ``future`` is done.

        Works with ``concurrent.futures.Future`` too (the callback is moved onto
        the loop's thread with :meth:`add_callback`). Tornado accepts only futures;
        squall also accepts other awaitables (such as what ``Queue.get()`` returns),
        which it turns into a future with :func:`squall.gen.convert_yielded` first:
        ``callback`` then receives that future.

        Raises:
            TypeError: if ``future`` is neither a future nor awaitable.
        """
        if not is_future(future) and isawaitable(future):
            # Not a future but awaitable, like what Queue.get() returns for an item that
            # is ready: run it as a future (Tornado accepts only futures here).
            from squall.gen import convert_yielded  # noqa: PLC0415 - gen imports ioloop

            future = convert_yielded(future)
        if isinstance(future, asyncio.Future):
            future_add_done_callback(
                future, lambda f: _run_callback(functools.partial(callback, f))
            )
        elif isinstance(future, concurrent.futures.Future):
            future.add_done_callback(lambda f: self.add_callback(callback, f))
        else:
            raise TypeError(f"{future!r} is not a Future")

    def _run_callback(self, callback: Callable[[], Any]) -> None:
        # Tornado documents this hook "for use in subclasses"; keep it.
        _run_callback(callback)

    # -- executors ------------------------------------------------------------
    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[..., _T],
        *args: Any,
    ) -> Awaitable[_T]:
        """Run ``func(*args)`` on ``executor`` and return an awaitable future.

        With ``executor=None`` the loop's default executor is used; unless
        :meth:`set_default_executor` was called it is a ``ThreadPoolExecutor``
        with ``os.cpu_count() * 5`` workers (Tornado sizes it from
        ``tornado.process.cpu_count``; that module is a layer above, so squall
        reads ``os.cpu_count`` directly). It is shut down by :meth:`close`.
        """
        if executor is None and not self._executor_set:
            self._own_executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=_default_executor_size(), thread_name_prefix="squall-ioloop"
            )
            self.set_default_executor(self._own_executor)
        return self.asyncio_loop.run_in_executor(executor, func, *args)

    def set_default_executor(self, executor: concurrent.futures.Executor) -> None:
        """Use ``executor`` for :meth:`run_in_executor` calls that pass ``None``."""
        self._executor_set = True
        self.asyncio_loop.set_default_executor(executor)

    # -- file descriptors -------------------------------------------------------
    def split_fd(self, fd: _FileLike) -> tuple[int, _FileLike]:
        """Return ``(fileno, fileobj)`` for an int descriptor or an object with ``fileno()``."""
        return _fd.split_fd(fd)

    def close_fd(self, fd: _FileLike) -> None:
        """Close a descriptor or file object, ignoring ``OSError``."""
        _fd.close_fd(fd)

    def add_handler(self, fd: _FileLike, handler: Callable[[Any, int], None], events: int) -> None:
        """Call ``handler(fd, events)`` whenever ``fd`` is readable/writable.

        Args:
            fd: an int descriptor or an object with ``fileno()``.
            handler: called with the object passed as ``fd`` and the ready event mask;
                its exceptions are logged on ``squall.application``.
            events: bitmask of :attr:`READ` and :attr:`WRITE` (``ERROR`` is
                implied and not reported separately by asyncio).

        Raises:
            ValueError: if the descriptor is already registered.
        """
        self._fds.add(fd, handler, events)

    def update_handler(self, fd: _FileLike, events: int) -> None:
        """Change the events (:attr:`READ` / :attr:`WRITE` mask) listened for on ``fd``."""
        self._fds.set_events(_fd.split_fd(fd)[0], events)

    def remove_handler(self, fd: _FileLike) -> None:
        """Stop listening on ``fd`` (no-op if it is not registered)."""
        self._fds.remove(fd)
