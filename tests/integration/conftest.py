"""Integration helpers: the hello example as a subprocess, in-process apps, an h11 client."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import h11
import pytest

from squall.web import Application

T = TypeVar("T")
HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hello example exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("hello example did not start listening")


@pytest.fixture
def hello_port() -> Iterator[int]:
    """Run examples/hello.py on a free port; yield the port; stop it with SIGTERM."""
    port = free_port()
    with subprocess.Popen(
        [sys.executable, str(HELLO), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            _wait_listening(proc, port)
            yield port
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            stderr = proc.stderr.read() if proc.stderr else b""
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")


def run_app(app: Application, client: Callable[[int], T], **server_kwargs: Any) -> T:
    """Serve ``app`` on a free loopback port in this thread's loop; run ``client(port)`` in a
    worker thread and return its result."""

    async def main() -> T:
        port = free_port()
        server = app.listen(port, "127.0.0.1", **server_kwargs)
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, client, port), 20)
        finally:
            server.stop()
            closer = getattr(server, "close_all_connections", None)
            if closer is not None:
                await closer()
            for _ in range(5):
                await asyncio.sleep(0.01)

    return asyncio.run(main())


@dataclass
class H11Response:
    status: int
    reason: bytes
    http_version: bytes
    headers: dict[bytes, list[bytes]]
    body: bytes
    data_events: int = 0
    raw: list[Any] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower().encode())
        return b",".join(values).decode("latin-1") if values else None


def h11_exchange(
    port: int,
    requests: list[tuple[str, str] | tuple[str, str, list[tuple[str, str]]]],
) -> list[H11Response]:
    """Send requests one after another on one keep-alive connection, parsed by h11."""
    conn = h11.Connection(our_role=h11.CLIENT)
    out: list[H11Response] = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for req in requests:
            method, target = req[0], req[1]
            extra = req[2] if len(req) > 2 else []
            headers = [("Host", f"127.0.0.1:{port}"), *extra]
            sock.sendall(conn.send(h11.Request(method=method, target=target, headers=headers)))
            sock.sendall(conn.send(h11.EndOfMessage()))
            response: H11Response | None = None
            body = bytearray()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = sock.recv(65536)
                    conn.receive_data(data)
                    if not data and conn.their_state is not h11.DONE:
                        raise ConnectionError("server closed mid-response")
                    continue
                if isinstance(event, h11.Response):
                    hdrs: dict[bytes, list[bytes]] = {}
                    for name, value in event.headers:
                        hdrs.setdefault(bytes(name), []).append(bytes(value))
                    response = H11Response(
                        event.status_code,
                        bytes(event.reason),
                        bytes(event.http_version),
                        hdrs,
                        b"",
                    )
                elif isinstance(event, h11.Data):
                    assert response is not None
                    body += event.data
                    response.data_events += 1
                elif isinstance(event, h11.EndOfMessage):
                    assert response is not None
                    response.body = bytes(body)
                    out.append(response)
                    break
                else:
                    raise AssertionError(f"unexpected h11 event {event!r}")
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()
            else:
                break
    return out


@pytest.fixture(name="h11_exchange")
def h11_exchange_fixture() -> Callable[..., list[H11Response]]:
    """The ``h11_exchange(port, requests)`` helper."""
    return h11_exchange


@pytest.fixture(name="run_app")
def run_app_fixture() -> Callable[..., Any]:
    """The ``run_app(app, client)`` helper."""
    return run_app
