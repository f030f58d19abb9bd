"""Shared test configuration: bounded Hypothesis profiles.

The ``ci`` profile (selected when ``CI`` is set, or with ``HYPOTHESIS_PROFILE=ci``)
keeps the example count bounded so the whole suite stays well under CI's budget.
``HYPOTHESIS_PROFILE=fuzz`` runs long; see docs/testing.md for the commands.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile("fuzz", max_examples=100_000, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)

# ``SQUALL_TEST_LOOP=uvloop`` (the ``tests_uvloop`` nox sessions) runs the suite on
# uvloop: every ``asyncio.run``/``IOLoop()`` in the tests then makes a uvloop loop.
# Tests may use the policy API (deprecated only from 3.14 on); squall itself never does.
if os.environ.get("SQUALL_TEST_LOOP") == "uvloop":
    import asyncio

    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
