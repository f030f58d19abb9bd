"""AsyncHTTPTestCase and AsyncHTTPSTestCase: a test case with a live HTTP server."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from squall.httpclient import AsyncHTTPClient, HTTPResponse
from squall.httpserver import HTTPServer
from squall.httputil import HTTPServerConnectionDelegate, HTTPServerRequest
from squall.testing._async_test_case import AsyncTestCase
from squall.testing._certs import default_ssl_options
from squall.testing._ports import bind_unused_port, get_async_test_timeout

Application = HTTPServerConnectionDelegate | Callable[[HTTPServerRequest], object]


class AsyncHTTPTestCase(AsyncTestCase):
    """An :class:`AsyncTestCase` that serves :meth:`get_app` over HTTP on loopback.

    Tornado 6.5's ``tornado.testing.AsyncHTTPTestCase``. :meth:`setUp` binds a
    free port on 127.0.0.1 (:func:`bind_unused_port`), starts an
    :class:`~squall.httpserver.HTTPServer` on it for the application returned by
    :meth:`get_app`, and makes an :class:`~squall.httpclient.AsyncHTTPClient`;
    :meth:`tearDown` stops the server, closes its connections and the client.
    Subclasses must override :meth:`get_app`.

    Example::

        class HelloTest(AsyncHTTPTestCase):
            def get_app(self):
                return Application([("/", MainHandler)])

            def test_homepage(self):
                response = self.fetch("/")
                self.assertEqual(response.code, 200)

            @gen_test
            async def test_async(self):
                response = await self.http_client.fetch(self.get_url("/"))

    Attributes:
        http_server (HTTPServer): the server (from :meth:`get_http_server`).
        http_client (AsyncHTTPClient): the client (from :meth:`get_http_client`).
    """

    http_server: HTTPServer
    http_client: AsyncHTTPClient

    def setUp(self) -> None:
        """Start the server on a free port and create the client."""
        super().setUp()
        sock, port = bind_unused_port()
        self.__port = port
        try:
            self._app = self.get_app()
            self.http_client = self.get_http_client()
            self.http_server = self.get_http_server()
            self.http_server.add_sockets([sock])
        except BaseException:
            # unittest skips tearDown when setUp fails: release what exists.
            sock.close()
            AsyncTestCase.tearDown(self)
            raise

    def get_app(self) -> Application:
        """Return the application to serve; subclasses must override it.

        Returns:
            A :class:`~squall.httputil.HTTPServerConnectionDelegate` (such as a
            ``squall.web.Application``) or a callable taking an
            :class:`~squall.httputil.HTTPServerRequest`.

        Raises:
            NotImplementedError: not overridden.
        """
        raise NotImplementedError

    def get_http_client(self) -> AsyncHTTPClient:
        """Return the client :meth:`fetch` uses (the shared per-loop client by default).

        Returns:
            An :class:`~squall.httpclient.AsyncHTTPClient`.
        """
        client: AsyncHTTPClient = AsyncHTTPClient()
        return client

    def get_http_server(self) -> HTTPServer:
        """Return the server for the application, with :meth:`get_httpserver_options`.

        Returns:
            A new :class:`~squall.httpserver.HTTPServer` (sockets not yet added).
        """
        return HTTPServer(self._app, **self.get_httpserver_options())

    def get_httpserver_options(self) -> dict[str, Any]:
        """Return extra keyword arguments for the :class:`~squall.httpserver.HTTPServer`.

        Returns:
            A dict (empty by default; :class:`AsyncHTTPSTestCase` adds ``ssl_options``).
        """
        return {}

    def fetch(self, path: str, raise_error: bool = False, **kwargs: Any) -> HTTPResponse:
        """Fetch ``path`` from the test server synchronously, running the loop.

        Tornado's semantics: a relative ``path`` is resolved with :meth:`get_url`,
        an absolute ``http://`` or ``https://`` URL is fetched as is. Unlike
        ``AsyncHTTPClient.fetch``, ``raise_error`` defaults to false, so an HTTP
        error status is returned as a response, not raised. Do not call it from a
        coroutine (use ``await self.http_client.fetch(...)`` there).

        Args:
            path: a path such as ``"/items?id=1"``, or an absolute URL.
            raise_error: raise :class:`~squall.httpclient.HTTPClientError` for
                non-2xx responses.
            **kwargs: :class:`~squall.httpclient.HTTPRequest` arguments
                (``method``, ``body``, ``headers``, ...).

        Returns:
            The :class:`~squall.httpclient.HTTPResponse`.

        Raises:
            squall.util.TimeoutError: no response within
                :func:`get_async_test_timeout` seconds.
            squall.httpclient.HTTPClientError: with ``raise_error``, a non-2xx code.
            OSError: the connection failed (always raised, as in Tornado 6).
        """
        absolute = path.lower().startswith(("http://", "https://"))
        url = path if absolute else self.get_url(path)
        response: HTTPResponse = self.io_loop.run_sync(
            lambda: self.http_client.fetch(url, raise_error=raise_error, **kwargs),
            timeout=get_async_test_timeout(),
        )
        return response

    def get_http_port(self) -> int:
        """Return the port the test server listens on.

        Returns:
            A TCP port number on 127.0.0.1.
        """
        return self.__port

    def get_protocol(self) -> str:
        """Return the URL scheme of :meth:`get_url`.

        Returns:
            ``"http"`` (``"https"`` in :class:`AsyncHTTPSTestCase`).
        """
        return "http"

    def get_url(self, path: str) -> str:
        """Return an absolute URL for ``path`` on the test server.

        Args:
            path: a path starting with ``/``.

        Returns:
            ``"<protocol>://127.0.0.1:<port><path>"``.
        """
        return f"{self.get_protocol()}://127.0.0.1:{self.get_http_port()}{path}"

    def tearDown(self) -> None:
        """Stop the server, close its connections and the client, then the loop."""
        self.http_server.stop()
        self.io_loop.run_sync(
            self.http_server.close_all_connections, timeout=get_async_test_timeout()
        )
        self.http_client.close()
        del self.http_server
        del self._app
        super().tearDown()


class AsyncHTTPSTestCase(AsyncHTTPTestCase):
    """An :class:`AsyncHTTPTestCase` whose server speaks HTTPS.

    Tornado's ``tornado.testing.AsyncHTTPSTestCase``. The server certificate
    comes from :meth:`get_ssl_options`: issued with ``trustme`` when it is
    installed (the ``tls`` extra of squall-testing), otherwise the self-signed
    test certificate shipped in the package. The client does not verify it
    (``validate_cert=False``), as in Tornado.
    """

    def get_http_client(self) -> AsyncHTTPClient:
        """Return a dedicated client that accepts the test certificate.

        Returns:
            ``AsyncHTTPClient(force_instance=True, defaults={"validate_cert": False})``.
        """
        client: AsyncHTTPClient = AsyncHTTPClient(
            force_instance=True, defaults={"validate_cert": False}
        )
        return client

    def get_httpserver_options(self) -> dict[str, Any]:
        """Return ``{"ssl_options": self.get_ssl_options()}``.

        Returns:
            Keyword arguments for :class:`~squall.httpserver.HTTPServer`.
        """
        return {"ssl_options": self.get_ssl_options()}

    def get_ssl_options(self) -> ssl.SSLContext | dict[str, Any]:
        """Return the server's TLS settings; override to use your own certificate.

        Returns:
            An :class:`ssl.SSLContext` or an ``ssl_options`` dict
            (``certfile``/``keyfile``), see the class docstring.
        """
        return default_ssl_options()

    def get_protocol(self) -> str:
        """Return ``"https"``.

        Returns:
            The URL scheme of :meth:`get_url`.
        """
        return "https"
