"""Support for testing squall applications (Tornado's ``tornado.testing``).

* :class:`AsyncTestCase` and :class:`AsyncHTTPTestCase` (and
  :class:`AsyncHTTPSTestCase`): :class:`unittest.TestCase` subclasses with a
  fresh :class:`~squall.ioloop.IOLoop` per test, and a live HTTP(S) server.
* :func:`gen_test`: run an ``async def`` test method on the test's IOLoop.
* :class:`ExpectLog`: require a log message, and keep it out of the output.
* :func:`bind_unused_port`, :func:`get_async_test_timeout` and :func:`main`.
* :mod:`squall.testing.streams`: conformance checks for stream classes.

Installing squall-testing also registers a pytest plugin (the ``pytest11``
entry point ``squall``): ``async def`` tests run on an IOLoop, with the
fixtures ``io_loop``, ``unused_port``, ``http_server``, ``http_port``,
``http_client``, ``base_url`` and ``fetch``; see ``squall.testing._pytest_plugin``
and the "Testing your app" guide.
"""

from squall.testing._async_test_case import AsyncTestCase
from squall.testing._expect_log import ExpectLog
from squall.testing._gen_test import gen_test
from squall.testing._http_test_case import AsyncHTTPSTestCase, AsyncHTTPTestCase
from squall.testing._main import main
from squall.testing._ports import bind_unused_port, get_async_test_timeout

__all__ = [
    "AsyncHTTPSTestCase",
    "AsyncHTTPTestCase",
    "AsyncTestCase",
    "ExpectLog",
    "bind_unused_port",
    "gen_test",
    "get_async_test_timeout",
    "main",
]
