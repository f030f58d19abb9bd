"""Connection-level behaviour: client disconnects, the callable entry point, xheaders."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import logging
import socket
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.httputil import HTTPServerRequest
from squall.web import Application, RequestHandler


class Waiter(RequestHandler):
    closed: asyncio.Event | None = None
    finished_after_close: list[bool] = []  # noqa: RUF012

    async def get(self) -> None:
        assert self.closed is not None
        await asyncio.wait_for(self.closed.wait(), 5)
        self.write("too late")
        # Finishing on a closed connection must not raise into the handler.
        self.finish()
        self.finished_after_close.append(True)

    def on_connection_close(self) -> None:
        super().on_connection_close()
        assert self.closed is not None
        self.closed.set()


class Echo(RequestHandler):
    def post(self) -> None:
        self.write({"body": self.request.body.decode(), "ip": self.request.remote_ip or ""})

    def get(self) -> None:
        self.write({"ip": self.request.remote_ip or ""})


def test_on_connection_close_runs_when_client_goes_away(
    web: Any, caplog: pytest.LogCaptureFixture
) -> None:
    Waiter.finished_after_close = []

    async def main() -> None:
        Waiter.closed = asyncio.Event()
        app = Application([(r"/", Waiter)])

        def client(port: int) -> None:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")

        port = _free_port()
        server = app.listen(port, "127.0.0.1")
        try:
            await asyncio.get_running_loop().run_in_executor(None, client, port)
            await asyncio.wait_for(Waiter.closed.wait(), 5)
            for _ in range(20):
                if Waiter.finished_after_close:
                    break
                await asyncio.sleep(0.01)
        finally:
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())
    assert Waiter.finished_after_close == [True]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_application_as_plain_callable() -> None:
    app = Application([(r"/echo", Echo)])

    def callback(request: HTTPServerRequest) -> None:
        app(request)

    async def main() -> tuple[int, bytes]:
        port = _free_port()
        server = HTTPServer(callback)
        server.listen(port, "127.0.0.1")

        def client() -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            with contextlib.closing(conn):
                conn.request("POST", "/echo", body=b"payload")
                resp = conn.getresponse()
                return resp.status, resp.read()

        try:
            return await asyncio.get_running_loop().run_in_executor(None, client)
        finally:
            server.stop()
            await server.close_all_connections()

    status, body = asyncio.run(main())
    assert status == 200
    assert body == b'{"body": "payload", "ip": "127.0.0.1"}'


def test_listen_passes_server_kwargs(web: Any) -> None:
    app = Application([(r"/", Echo)])
    plain = web.fetch(app, "GET", "/", None, {"X-Real-Ip": "10.1.2.3"})
    proxied = web.fetch(app, "GET", "/", None, {"X-Real-Ip": "10.1.2.3"}, xheaders=True)
    assert plain.body == b'{"ip": "127.0.0.1"}'
    assert proxied.body == b'{"ip": "10.1.2.3"}'
