"""The event loop the suite runs on is the one the session asked for."""

import asyncio
import os

from squall.ioloop import IOLoop


def test_suite_runs_on_the_requested_event_loop() -> None:
    wanted = os.environ.get("SQUALL_TEST_LOOP", "asyncio")
    io_loop = IOLoop()
    try:
        kind = type(io_loop.asyncio_loop).__module__.split(".")[0]
        assert kind == wanted
        assert io_loop.run_sync(lambda: asyncio.sleep(0), timeout=5) is None
    finally:
        io_loop.close()
