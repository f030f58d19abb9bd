"""How IOLoop callbacks run, and a fast way to schedule them on asyncio's own loop.

Every callback given to ``add_callback``, ``call_later``, ``call_at`` ... runs with
Tornado's error handling (:func:`run_callback`): an exception is logged on
``squall.application``, and a returned awaitable is run with its failure logged too.

**The general path** (any asyncio loop, uvloop's included) schedules
``run_callback(callback)`` with the loop's public ``call_soon``/``call_at``: one
extra Python frame per callback, the wrapper.

**The fast path** (only the standard library's loops, ``asyncio.BaseEventLoop``)
exists because there ``call_soon`` and ``call_later`` are Python code, four frames deep
(``call_soon`` -> ``_check_closed`` -> ``_call_soon`` -> ``Handle.__init__``), and the
wrapper adds a fifth frame when the callback runs. :class:`CallbackHandle` and
:class:`CallbackTimerHandle` are ``asyncio.Handle``/``TimerHandle`` subclasses whose
``_run`` *is* the wrapper, and the IOLoop appends them to the loop's ready queue
(``loop._ready``) or pushes them on its timer heap (``loop._scheduled``) itself, exactly
as ``call_soon``/``call_at`` do. Callbacks keep their order with everything else the
loop runs, get a copy of the caller's context like ``call_soon`` gives, and are
cancelled with ``handle.cancel()`` as usual.

These are asyncio internals, so :func:`fast_loop` allows the fast path only when they
look exactly as expected (the handle slots, the loop attributes, and no subclass
overriding the scheduling methods); anything else, and a loop in debug mode (whose
``call_soon`` records tracebacks and checks threads), takes the general path.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import heapq
from asyncio import base_events, events
from typing import Any

from squall.concurrent import future_add_done_callback
from squall.log import app_log

_copy_context = contextvars.copy_context
_heappush = heapq.heappush


def run_callback(callback: Any) -> None:
    """Run an IOLoop callback with Tornado's error handling (the general path's wrapper).

    Exceptions are logged on ``squall.application``; a returned awaitable is run
    and its failure logged the same way. ``CancelledError`` is ignored.
    """
    try:
        ret = callback()
        if ret is not None:
            watch_result(ret)
    except asyncio.CancelledError:
        pass
    except Exception:
        log_callback_exception(callback)


def log_callback_exception(callback: Any) -> None:
    """Log the exception being handled as raised by ``callback`` (Tornado's message)."""
    app_log.error("Exception in callback %r", callback, exc_info=True)


def watch_result(ret: Any) -> None:
    """Run what a callback returned if it is yieldable, logging its failure."""
    from squall.gen import BadYieldError, convert_yielded  # noqa: PLC0415 - gen imports ioloop

    try:
        future = convert_yielded(ret)
    except BadYieldError:
        return  # plain return values are ignored
    future_add_done_callback(
        future, lambda f: run_callback(functools.partial(_discard_future_result, f))
    )


def _discard_future_result(future: asyncio.Future[Any]) -> None:
    # Re-raise the future's exception (if any) so run_callback logs it.
    future.result()


class _RunsLikeIOLoop:
    """Mixin: ``Handle._run`` with the error handling of :func:`run_callback` built in."""

    __slots__ = ()

    _callback: Any
    _context: contextvars.Context
    _loop: Any

    def _run(self) -> None:
        callback = self._callback
        try:
            ret = self._context.run(callback)
            if ret is not None:
                watch_result(ret)
        except asyncio.CancelledError:
            pass
        except Exception:
            log_callback_exception(callback)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            # What asyncio's Handle._run does with any other BaseException.
            self._loop.call_exception_handler(
                {
                    "message": f"Exception in callback {callback!r}",
                    "exception": exc,
                    "handle": self,
                }
            )


class CallbackHandle(_RunsLikeIOLoop, events.Handle):
    """A ready-queue entry running ``callback()`` like :func:`run_callback` (fast path).

    ``Handle.__init__`` is not called: it would ask ``loop.get_debug()`` (a Python
    call) for a loop that :func:`fast_loop` already checked; the slots it sets are
    set here, and :func:`fast_loop` checks that they are all there is.
    """

    __slots__ = ()

    def __init__(self, callback: Any, loop: Any) -> None:
        self._callback = callback
        self._args = ()
        self._loop = loop
        self._context = _copy_context()
        self._cancelled = False
        self._repr = None
        self._source_traceback = None


class CallbackTimerHandle(_RunsLikeIOLoop, events.TimerHandle):
    """A timer-heap entry running ``callback()`` at ``when`` (fast path; see above)."""

    __slots__ = ()

    def __init__(self, when: float, callback: Any, loop: Any) -> None:
        self._callback = callback
        self._args = ()
        self._loop = loop
        self._context = _copy_context()
        self._cancelled = False
        self._repr = None
        self._source_traceback = None
        self._when = when
        self._scheduled = False


def push_timer(fast: Any, when: float, callback: Any) -> asyncio.TimerHandle:
    """Schedule ``callback`` at ``when`` on ``fast``'s timer heap; return its handle.

    What ``BaseEventLoop.call_at`` does once its checks passed (the loop is open and
    not in debug mode: the caller checks), with a :class:`CallbackTimerHandle`.
    """
    timer = CallbackTimerHandle(when, callback, fast)
    _heappush(fast._scheduled, timer)
    timer._scheduled = True
    return timer


_HANDLE_SLOTS = {
    "_callback",
    "_args",
    "_cancelled",
    "_loop",
    "_source_traceback",
    "_repr",
    "__weakref__",
    "_context",
}
_LAYOUT_OK = set(events.Handle.__slots__) == _HANDLE_SLOTS and set(
    events.TimerHandle.__slots__
) == {"_scheduled", "_when"}
# Methods of BaseEventLoop whose behaviour the fast path reproduces or relies on.
_BASE_METHODS = (
    "call_soon",
    "call_at",
    "call_later",
    "time",
    "_run_once",
    "_timer_handle_cancelled",
)
_LOOP_ATTRIBUTES = ("_ready", "_scheduled", "_thread_id", "_debug", "_closed")


def fast_loop(loop: asyncio.AbstractEventLoop) -> Any:
    """Return ``loop`` if IOLoop callbacks may be queued on it directly, else ``None``.

    True only for an ``asyncio.BaseEventLoop`` (the standard library's loops) that does
    not override the scheduling methods, on a Python whose ``Handle`` layout is the
    expected one. Callers must still check ``loop._debug`` (debug mode can be switched
    on at any time) and, for ``call_soon``, that they run on the loop's thread.
    """
    if not _LAYOUT_OK or not isinstance(loop, base_events.BaseEventLoop):
        return None
    cls = type(loop)
    base = base_events.BaseEventLoop
    if any(getattr(cls, name, None) is not getattr(base, name) for name in _BASE_METHODS):
        return None
    if not all(hasattr(loop, name) for name in _LOOP_ATTRIBUTES):
        return None
    return loop
