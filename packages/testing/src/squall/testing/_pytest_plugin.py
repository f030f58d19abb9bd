"""The pytest plugin of squall-testing (the ``pytest11`` entry point ``squall``).

Installing squall-testing registers it; nothing else is needed.

* ``async def`` test functions run on a fresh :class:`~squall.ioloop.IOLoop`
  (the ``io_loop`` fixture) with :meth:`~squall.ioloop.IOLoop.run_sync`, under
  a timeout: the ``squall_timeout(seconds)`` marker, else the ``squall_timeout``
  ini option, else :func:`~squall.testing.get_async_test_timeout` (the
  ``ASYNC_TEST_TIMEOUT`` environment variable, default 5 s). A test that does
  not finish in time fails with :class:`squall.util.TimeoutError`.
* When pytest-asyncio is active and has marked a test ``asyncio`` (its strict
  mode with ``@pytest.mark.asyncio``, or its auto mode), the test is left to
  it; unmarked ``async def`` tests still run here. The HTTP fixtures below are
  bound to ``io_loop``, so use them from tests this plugin runs.
* As in :class:`~squall.testing.AsyncTestCase`, an exception nobody handled on
  the loop (an IOLoop callback's ``Exception in callback`` error on
  ``squall.application``, or the asyncio exception handler) fails the test at
  teardown, unless hidden by :class:`~squall.testing.ExpectLog`.

Fixtures:

* ``io_loop``: the test's IOLoop, current during the test, closed afterwards
  (pending tasks cancelled first).
* ``unused_port``: a free TCP port number on 127.0.0.1 (its socket is closed,
  so another process could take it; prefer ``http_server``).
* ``app``: not provided; define it (returning a ``squall.web.Application``,
  any ``HTTPServerConnectionDelegate`` or a request callable) to use the
  fixtures below.
* ``http_server_options``: keyword arguments for the ``HTTPServer`` (default
  ``{}``); override it, e.g. with ``{"ssl_options": ...}`` to serve HTTPS.
* ``http_server``: an :class:`~squall.httpserver.HTTPServer` serving ``app``
  on 127.0.0.1; ``http_port`` is its port.
* ``http_client``: a dedicated :class:`~squall.httpclient.AsyncHTTPClient`,
  closed afterwards (it does not verify certificates when
  ``http_server_options`` has ``ssl_options``).
* ``base_url``: ``"http://127.0.0.1:<port>"`` (``https`` with ``ssl_options``).
* ``fetch``: ``fetch(path, raise_error=False, **kwargs)`` returns a future of
  the :class:`~squall.httpclient.HTTPResponse` for ``path`` on the server,
  like :meth:`AsyncHTTPTestCase.fetch <squall.testing.AsyncHTTPTestCase.fetch>`
  but to be awaited: ``response = await fetch("/")``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import socket
import unittest
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from squall.httpclient import AsyncHTTPClient, HTTPResponse
from squall.httpserver import HTTPServer
from squall.ioloop import IOLoop
from squall.log import app_log
from squall.testing._async_test_case import _ExcInfo, _UncaughtLogHandler
from squall.testing._ports import bind_unused_port, get_async_test_timeout
from squall.util import TimeoutError

_INI = "squall_timeout"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``squall_timeout`` ini option (seconds per async test)."""
    parser.addini(
        _INI,
        "timeout in seconds of each async test run on the squall IOLoop "
        "(default: ASYNC_TEST_TIMEOUT, else 5)",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``squall_timeout`` marker."""
    config.addinivalue_line(
        "markers",
        "squall_timeout(seconds): timeout of this async test on the squall IOLoop",
    )


def _ours(item: pytest.Item) -> bool:
    """Whether this plugin runs ``item``: an ``async def`` test not given to pytest-asyncio."""
    if not isinstance(item, pytest.Function) or not inspect.iscoroutinefunction(item.obj):
        return False
    if item.cls is not None and issubclass(item.cls, unittest.TestCase):
        return False  # pytest's unittest support runs these (gen_test, IsolatedAsyncioTestCase)
    pluginmanager = item.config.pluginmanager
    asyncio_active = pluginmanager.has_plugin("asyncio") or pluginmanager.has_plugin(
        "pytest_asyncio"
    )
    return not (asyncio_active and item.get_closest_marker("asyncio") is not None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Make every async test this plugin runs use the ``io_loop`` fixture."""
    for item in items:
        if _ours(item):
            assert isinstance(item, pytest.Function)
            if "io_loop" not in item.fixturenames:
                item.fixturenames.append("io_loop")


def _timeout(item: pytest.Function) -> float:
    marker = item.get_closest_marker("squall_timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs["seconds"]
        return float(value)
    ini = item.config.getini(_INI)
    if ini not in (None, ""):
        return float(ini)
    return get_async_test_timeout()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test on its ``io_loop`` (see the module docstring).

    Returns:
        ``True`` when the test was run here, ``None`` to leave it to others.

    Raises:
        squall.util.TimeoutError: the test did not finish within its timeout.
    """
    if not _ours(pyfuncitem):
        return None
    io_loop: IOLoop = pyfuncitem.funcargs["io_loop"]  # type: ignore[assignment]
    argnames = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in argnames}
    limit = _timeout(pyfuncitem)
    try:
        io_loop.run_sync(functools.partial(pyfuncitem.obj, **kwargs), timeout=limit)
    except TimeoutError as exc:
        raise TimeoutError(f"Async test timed out after {limit} seconds") from exc
    return True


class _LoopWatcher:
    """Collects exceptions nobody handled on a loop (see AsyncTestCase)."""

    def __init__(self, loop: IOLoop) -> None:
        self.failures: list[_ExcInfo] = []
        self._handler = _UncaughtLogHandler(self.failures.append)
        loop.asyncio_loop.set_exception_handler(self._asyncio_exception)
        app_log.addHandler(self._handler)

    def _asyncio_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.failures.append((type(exc), exc, exc.__traceback__))
        else:
            loop.default_exception_handler(context)

    def close(self) -> None:
        app_log.removeHandler(self._handler)


def _cancel_pending(loop: IOLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop.asyncio_loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_sync(lambda: asyncio.wait(pending))


@pytest.fixture
def io_loop() -> Iterator[IOLoop]:
    """A new IOLoop for one test, current while it runs and closed afterwards.

    Yields:
        The :class:`~squall.ioloop.IOLoop`.

    Raises:
        BaseException: (at teardown) the first exception nobody handled on it.
    """
    loop = IOLoop(make_current=True)
    watcher = _LoopWatcher(loop)
    try:
        yield loop
    finally:
        try:
            _cancel_pending(loop)
        finally:
            watcher.close()
            loop.close(all_fds=True)
            asyncio.set_event_loop(None)
    if watcher.failures:
        _, exc, tb = watcher.failures[0]
        raise exc.with_traceback(tb)


@pytest.fixture
def unused_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago.

    Returns:
        The port number (its socket is already closed).
    """
    sock, port = bind_unused_port()
    sock.close()
    return port


@pytest.fixture
def _squall_listener() -> Iterator[tuple[socket.socket, int]]:
    sock, port = bind_unused_port()
    with sock:
        yield sock, port


@pytest.fixture
def http_port(_squall_listener: tuple[socket.socket, int]) -> int:
    """The port ``http_server`` listens on (127.0.0.1).

    Returns:
        The port number.
    """
    return _squall_listener[1]


@pytest.fixture
def http_server_options() -> dict[str, Any]:
    """Keyword arguments for the ``http_server`` fixture's HTTPServer; override it.

    Returns:
        ``{}``.
    """
    return {}


@pytest.fixture
def http_server(
    io_loop: IOLoop,
    app: Any,
    _squall_listener: tuple[socket.socket, int],
    http_server_options: dict[str, Any],
) -> Iterator[HTTPServer]:
    """An HTTPServer serving the user's ``app`` fixture on ``http_port``.

    Yields:
        The :class:`~squall.httpserver.HTTPServer`; stopped, with its
        connections closed, afterwards.
    """
    server = HTTPServer(app, **http_server_options)
    server.add_sockets([_squall_listener[0]])
    try:
        yield server
    finally:
        server.stop()
        io_loop.run_sync(server.close_all_connections, timeout=get_async_test_timeout())


@pytest.fixture
def http_client(io_loop: IOLoop, http_server_options: dict[str, Any]) -> Iterator[AsyncHTTPClient]:
    """A dedicated AsyncHTTPClient on ``io_loop``, closed afterwards.

    Yields:
        The :class:`~squall.httpclient.AsyncHTTPClient` (not verifying
        certificates when ``http_server_options`` has ``ssl_options``).
    """
    defaults = {"validate_cert": False} if "ssl_options" in http_server_options else None
    client = AsyncHTTPClient(force_instance=True, defaults=defaults)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def base_url(http_server: HTTPServer, http_port: int, http_server_options: dict[str, Any]) -> str:
    """The root URL of ``http_server``, without a trailing slash.

    Returns:
        ``"http://127.0.0.1:<port>"`` (``https`` when serving TLS).
    """
    scheme = "https" if http_server_options.get("ssl_options") is not None else "http"
    return f"{scheme}://127.0.0.1:{http_port}"


@pytest.fixture
def fetch(
    http_server: HTTPServer, http_client: AsyncHTTPClient, base_url: str
) -> Callable[..., Awaitable[HTTPResponse]]:
    """A function fetching a path from ``http_server`` with ``http_client``.

    Returns:
        ``fetch(path, raise_error=False, **kwargs)``: ``path`` is relative to
        ``base_url`` (or an absolute ``http(s)://`` URL), ``kwargs`` are
        :class:`~squall.httpclient.HTTPRequest` arguments; it returns a future
        resolving to the :class:`~squall.httpclient.HTTPResponse` (error
        statuses included unless ``raise_error``).
    """

    def fetch(path: str, raise_error: bool = False, **kwargs: Any) -> Awaitable[HTTPResponse]:
        url = path if path.lower().startswith(("http://", "https://")) else base_url + path
        return http_client.fetch(url, raise_error=raise_error, **kwargs)

    return fetch
