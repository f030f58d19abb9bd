"""Futures and executors (Tornado's ``tornado.concurrent``).

:class:`Future` is :class:`asyncio.Future`; the helpers here smooth over the
differences between it and :class:`concurrent.futures.Future`.
"""

from squall.concurrent._executor import DummyExecutor, dummy_executor, run_on_executor
from squall.concurrent._futures import (
    FUTURES,
    Future,
    ReturnValueIgnoredError,
    chain_future,
    future_add_done_callback,
    future_set_exc_info,
    future_set_exception_unless_cancelled,
    future_set_result_unless_cancelled,
    is_future,
)

__all__ = [
    "FUTURES",
    "DummyExecutor",
    "Future",
    "ReturnValueIgnoredError",
    "chain_future",
    "dummy_executor",
    "future_add_done_callback",
    "future_set_exc_info",
    "future_set_exception_unless_cancelled",
    "future_set_result_unless_cancelled",
    "is_future",
    "run_on_executor",
]
