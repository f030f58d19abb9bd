"""The pytest plugin, driven through inner pytest runs with ``pytester``."""

from __future__ import annotations

import pytest

INI = """
[pytest]
filterwarnings = error
"""

APP_CONFTEST = """
import pytest
from squall.httputil import HTTPHeaders, ResponseStartLine


def hello(request):
    status = 404 if request.path == "/missing" else 200
    body = b"hello " + request.method.encode()
    request.connection.write_headers(
        ResponseStartLine("HTTP/1.1", status, "X"),
        HTTPHeaders({"Content-Length": str(len(body))}),
    )
    request.connection.write(body)
    request.connection.finish()


@pytest.fixture
def app():
    return hello
"""


@pytest.fixture
def tester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester


def run(tester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # pytest-asyncio (when installed) is switched off except where a test wants it.
    return tester.runpytest("-p", "no:cacheprovider", "-p", "no:asyncio", *args)


def test_async_tests_run_on_a_fresh_io_loop(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from squall.ioloop import IOLoop

        loops = []

        async def test_without_fixtures():
            await asyncio.sleep(0.001)
            loops.append(IOLoop.current())

        async def test_with_io_loop(io_loop):
            assert asyncio.get_running_loop() is io_loop.asyncio_loop
            assert IOLoop.current() is io_loop
            loops.append(io_loop)

        def test_sync_test_gets_a_loop_that_is_not_running(io_loop):
            assert not io_loop.asyncio_loop.is_running()
            assert len(loops) == 2 and loops[0] is not loops[1]
            assert all(loop.asyncio_loop.is_closed() for loop in loops)
        """
    )
    run(tester).assert_outcomes(passed=3)


def test_unittest_classes_are_left_to_unittest(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        import unittest

        from squall.testing import AsyncTestCase, gen_test

        class Case(AsyncTestCase):
            @gen_test
            async def test_gen_test(self):
                await asyncio.sleep(0)

        class Isolated(unittest.IsolatedAsyncioTestCase):
            async def test_stdlib(self):
                await asyncio.sleep(0)

        class Forgot(AsyncTestCase):
            async def test_undecorated(self):
                pass
        """
    )
    result = run(tester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*should be decorated with squall.testing.gen_test*"])


def test_a_failing_async_test_fails(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio

        async def test_bad():
            await asyncio.sleep(0)
            assert 1 + 1 == 3
        """
    )
    result = run(tester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert (1 + 1) == 3*"])


def test_timeout_from_marker_ini_and_environment(
    tester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tester.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.mark.squall_timeout(0.1)
        async def test_marker():
            await asyncio.sleep(10)

        async def test_default():
            await asyncio.sleep(10)

        @pytest.mark.squall_timeout(5)
        async def test_fast_enough():
            await asyncio.sleep(0.3)
        """
    )
    monkeypatch.setenv("ASYNC_TEST_TIMEOUT", "0.2")
    result = run(tester)
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(["*timed out after 0.1 seconds*"])
    result.stdout.fnmatch_lines(["*timed out after 0.2 seconds*"])
    monkeypatch.delenv("ASYNC_TEST_TIMEOUT")
    result = run(tester, "-o", "squall_timeout=0.25", "-k", "default")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*timed out after 0.25 seconds*"])


def test_http_fixtures(tester: pytest.Pytester) -> None:
    tester.makeconftest(APP_CONFTEST)
    tester.makepyfile(
        """
        import socket
        from squall.httpclient import AsyncHTTPClient, HTTPClientError
        from squall.httpserver import HTTPServer

        async def test_fetch(fetch, base_url, http_port):
            response = await fetch("/")
            assert response.code == 200 and response.body == b"hello GET"
            assert base_url == f"http://127.0.0.1:{http_port}"
            assert response.effective_url == base_url + "/"

        async def test_fetch_error_status_and_kwargs(fetch, base_url):
            assert (await fetch("/missing")).code == 404
            try:
                await fetch("/missing", raise_error=True)
            except HTTPClientError as exc:
                assert exc.code == 404
            else:
                raise AssertionError("raise_error=True must raise")
            response = await fetch(base_url + "/x", method="POST", body=b"")
            assert response.body == b"hello POST"

        async def test_server_and_client(http_server, http_client, base_url):
            assert isinstance(http_server, HTTPServer)
            assert isinstance(http_client, AsyncHTTPClient)
            assert (await http_client.fetch(base_url + "/")).body == b"hello GET"

        def test_unused_port(unused_port):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", unused_port))
        """
    )
    run(tester).assert_outcomes(passed=4)


def test_https_through_http_server_options(tester: pytest.Pytester) -> None:
    pytest.importorskip("trustme")
    tester.makeconftest(
        APP_CONFTEST
        + """

@pytest.fixture
def http_server_options():
    import ssl
    import trustme

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    return {"ssl_options": context}
"""
    )
    tester.makepyfile(
        """
        async def test_https(fetch, base_url):
            assert base_url.startswith("https://127.0.0.1:")
            assert (await fetch("/")).body == b"hello GET"
        """
    )
    run(tester).assert_outcomes(passed=1)


def test_app_fixture_is_required(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        async def test_needs_app(fetch):
            pass
        """
    )
    result = run(tester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'app' not found*"])


def test_uncaught_exception_on_the_loop_fails_the_test(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio
        from squall.log import app_log
        from squall.testing import ExpectLog

        async def test_unexpected(io_loop):
            io_loop.add_callback(lambda: 1 / 0)
            await asyncio.sleep(0.01)

        async def test_expected(io_loop):
            with ExpectLog(app_log, "Exception in callback"):
                io_loop.add_callback(lambda: 1 / 0)
                await asyncio.sleep(0.01)
        """
    )
    result = run(tester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unexpected*", "*ZeroDivisionError*"])


def test_pending_tasks_are_cancelled(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import asyncio

        seen = []

        async def forever():
            try:
                await asyncio.sleep(100)
            finally:
                seen.append("cleaned up")

        async def test_leaves_a_task():
            asyncio.get_running_loop().create_task(forever())
            await asyncio.sleep(0)

        def test_it_was_cancelled():
            assert seen == ["cleaned up"]
        """
    )
    run(tester).assert_outcomes(passed=2)


WITH_ASYNCIO = ("-o", "asyncio_default_fixture_loop_scope=function", "-o")

ASYNCIO_TESTS = """
import asyncio
import pytest
from squall.ioloop import IOLoop

async def test_unmarked_runs_on_squall(request, io_loop):
    assert asyncio.get_running_loop() is io_loop.asyncio_loop

@pytest.mark.asyncio
async def test_marked_runs_on_pytest_asyncio(request):
    assert "io_loop" not in request.fixturenames
    await asyncio.sleep(0)
"""


def test_works_alongside_pytest_asyncio_in_strict_mode(tester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    tester.makepyfile(ASYNCIO_TESTS)
    result = tester.runpytest("-p", "no:cacheprovider", *WITH_ASYNCIO, "asyncio_mode=strict")
    result.assert_outcomes(passed=2)


def test_leaves_everything_to_pytest_asyncio_in_auto_mode(tester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    tester.makepyfile(
        """
        import asyncio

        async def test_auto(request):
            assert "io_loop" not in request.fixturenames
            await asyncio.sleep(0)
        """
    )
    result = tester.runpytest("-p", "no:cacheprovider", *WITH_ASYNCIO, "asyncio_mode=auto")
    result.assert_outcomes(passed=1)


def test_runs_unmarked_async_tests_with_pytest_asyncio_disabled(tester: pytest.Pytester) -> None:
    tester.makepyfile(ASYNCIO_TESTS.replace("@pytest.mark.asyncio\n", ""))
    result = run(tester)
    # Without pytest-asyncio both run here: the second one sees io_loop added.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*assert 'io_loop' not in*"])
