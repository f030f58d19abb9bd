"""Helpers for squall.web tests: serve an Application on loopback, query it with http.client.

The server runs on the test's own asyncio loop (``asyncio.run``) while the blocking
client runs in the loop's default executor, so both ends are real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from squall.web import Application

T = TypeVar("T")


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return Response(resp.status, resp.reason, resp.headers, data, resp.getheaders())


async def _stop(server: Any) -> None:
    server.stop()
    closer = getattr(server, "close_all_connections", None)
    if closer is not None:
        await closer()
    for _ in range(5):
        await asyncio.sleep(0.01)


def run_app(app: Application, client: Callable[[int], T], **server_kwargs: Any) -> T:
    """Listen on a free loopback port, run ``client(port)`` in a thread, return its result."""

    async def main() -> T:
        for attempt in range(5):
            port = free_port()
            try:
                server = app.listen(port, "127.0.0.1", **server_kwargs)
                break
            except OSError:
                if attempt == 4:
                    raise
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, client, port), 20)
        finally:
            await _stop(server)

    return asyncio.run(main())


def fetch_all(
    app: Application,
    calls: list[tuple[str, str] | tuple[str, str, Any] | tuple[str, str, Any, dict[str, str]]],
    **server_kwargs: Any,
) -> list[Response]:
    """Send several requests over one keep-alive connection and return the responses."""

    def client(port: int) -> list[Response]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with contextlib.closing(conn):
            out = []
            for call in calls:
                method, path, *rest = call
                body = rest[0] if rest else None
                headers = rest[1] if len(rest) > 1 else None
                out.append(request(conn, method, path, body, headers))
            return out

    return run_app(app, client, **server_kwargs)


def fetch(
    app: Application,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    **server_kwargs: Any,
) -> Response:
    """One request against ``app``."""
    return fetch_all(app, [(method, path, body, headers or {})], **server_kwargs)[0]


def raw_exchange(app: Application, payload: bytes, **server_kwargs: Any) -> bytes:
    """Send raw bytes, return everything the server sends until it closes.

    The payload's last request should carry ``Connection: close``.
    """

    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(payload)
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks)

    return run_app(app, client, **server_kwargs)


@pytest.fixture
def web() -> Any:
    """The helper namespace (``web.fetch(app, "GET", "/")`` ...)."""

    class _Helpers:
        Response = Response
        fetch = staticmethod(fetch)
        fetch_all = staticmethod(fetch_all)
        run_app = staticmethod(run_app)
        raw_exchange = staticmethod(raw_exchange)
        request = staticmethod(request)

    return _Helpers
