"""AsyncHTTPTestCase and AsyncHTTPSTestCase against a plain request callable."""

from __future__ import annotations

import ssl
import sys
import unittest
from typing import Any, ClassVar

import pytest

from squall.httpclient import HTTPClientError
from squall.httpserver import HTTPServer
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.testing import AsyncHTTPSTestCase, AsyncHTTPTestCase, gen_test
from squall.testing._certs import shipped_ssl_options


def app(request: HTTPServerRequest) -> None:
    """``/echo`` answers the method and body; ``/missing`` is a 404; else ``hello``."""
    assert request.connection is not None
    if request.path == "/missing":
        status, reason, body = 404, "Not Found", b"no such thing"
    elif request.path == "/echo":
        status, reason, body = 200, "OK", (request.method or "").encode() + b" " + request.body
    else:
        status, reason, body = 200, "OK", b"hello"
    request.connection.write_headers(
        ResponseStartLine("HTTP/1.1", status, reason),
        HTTPHeaders({"Content-Length": str(len(body))}),
    )
    request.connection.write(body)
    request.connection.finish()


def run_case(case: type[unittest.TestCase], *names: str) -> unittest.TestResult:
    result = unittest.TestResult()
    unittest.TestSuite(case(name) for name in names).run(result)
    problems = [text for _, text in result.errors + result.failures]
    assert result.wasSuccessful(), "\n".join(problems)
    return result


class HTTPCase(AsyncHTTPTestCase):
    servers: ClassVar[list[HTTPServer]] = []

    def get_app(self) -> Any:
        return app

    def test_fetch(self) -> None:
        HTTPCase.servers.append(self.http_server)
        response = self.fetch("/")
        assert response.code == 200 and response.body == b"hello"
        assert self.get_protocol() == "http"
        assert self.get_url("/x") == f"http://127.0.0.1:{self.get_http_port()}/x"
        assert response.effective_url == self.get_url("/")

    def test_fetch_does_not_raise_on_error_status_by_default(self) -> None:
        assert self.fetch("/missing").code == 404
        with pytest.raises(HTTPClientError) as info:
            self.fetch("/missing", raise_error=True)
        assert info.value.code == 404

    def test_fetch_kwargs_and_absolute_url(self) -> None:
        response = self.fetch(self.get_url("/echo"), method="POST", body=b"data")
        assert response.body == b"POST data"

    @gen_test
    async def test_http_client_in_a_coroutine(self) -> None:
        response = await self.http_client.fetch(self.get_url("/"))
        assert response.body == b"hello"


def test_async_http_test_case() -> None:
    HTTPCase.servers = []
    run_case(
        HTTPCase,
        "test_fetch",
        "test_fetch_does_not_raise_on_error_status_by_default",
        "test_fetch_kwargs_and_absolute_url",
        "test_http_client_in_a_coroutine",
    )
    # The server was stopped at teardown: nothing listens on its sockets.
    assert HTTPCase.servers and not HTTPCase.servers[0]._sockets


def test_httpserver_options_are_used() -> None:
    class NoKeepAlive(AsyncHTTPTestCase):
        def get_app(self) -> Any:
            return app

        def get_httpserver_options(self) -> dict[str, Any]:
            return {"no_keep_alive": True}

        def test_it(self) -> None:
            assert self.http_server.conn_params.no_keep_alive
            assert self.fetch("/").headers.get("Connection") == "close"

    run_case(NoKeepAlive, "test_it")


def test_get_app_must_be_overridden() -> None:
    class NoApp(AsyncHTTPTestCase):
        def test_it(self) -> None:
            raise AssertionError("setUp must fail first")

    result = unittest.TestResult()
    NoApp("test_it").run(result)
    assert len(result.errors) == 1 and "NotImplementedError" in result.errors[0][1]


class HTTPSCase(AsyncHTTPSTestCase):
    def get_app(self) -> Any:
        return app

    def test_fetch(self) -> None:
        assert self.get_protocol() == "https"
        assert self.get_url("/").startswith("https://127.0.0.1:")
        response = self.fetch("/")
        assert response.code == 200 and response.body == b"hello"


def test_https_with_a_trustme_certificate() -> None:
    pytest.importorskip("trustme")
    assert isinstance(HTTPSCase("test_fetch").get_ssl_options(), ssl.SSLContext)
    run_case(HTTPSCase, "test_fetch")


def test_https_with_the_shipped_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    from squall.testing import _certs  # the private cache, to reset it

    _certs._trustme_context.cache_clear()
    monkeypatch.setitem(sys.modules, "trustme", None)  # as if not installed
    try:
        options = HTTPSCase("test_fetch").get_ssl_options()
        assert options == shipped_ssl_options()
        assert isinstance(options, dict)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options["certfile"], options["keyfile"])
        run_case(HTTPSCase, "test_fetch")
    finally:
        _certs._trustme_context.cache_clear()
