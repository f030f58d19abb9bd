"""HTTP server benchmark: squall's HTTPServer against Tornado's, and a raw asyncio ceiling.

No web framework: each server hands every request to a bare callback that answers

* ``GET /``      -> ``Hello, world`` (text),
* ``POST /echo`` -> the 1 KiB request body,

through ``request.connection.write_headers`` / ``finish`` (squall's ``HTTPServer`` and
Tornado's ``tornado.httpserver.HTTPServer``, the same callback code). The third
server, ``raw``, is an ``asyncio.Protocol`` that finds the end of each request head,
skips ``Content-Length`` body bytes and writes a canned response (the body echoed for
``/echo``): no HTTP parsing to speak of, the ceiling for any pure-Python server on
the same event loop.

Measurement (pinned cores, rounds, medians, requests per server CPU-second, wrk
``-t1 -c64``) is ``bench/http_bench.py``'s, reused as is; see docs/benchmarks.md.
Needs Linux, ``taskset`` and ``wrk``.

Example::

    .venv/bin/python bench/httpserver_bench.py --rounds 3 --duration 5
    .venv/bin/python bench/httpserver_bench.py --markdown --json bench/results/httpserver.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from bench import http_bench  # noqa: E402 - the shared measurement machinery

HELLO = b"Hello, world"


# ------------------------------------------------------------------ the servers


def make_callback(start_line_cls: Any, headers_cls: Any) -> Any:
    """The request callback, identical for squall and Tornado."""

    def callback(request: Any) -> None:
        body = request.body if request.path == "/echo" else HELLO
        headers = headers_cls()
        headers["Content-Type"] = "text/plain"
        headers["Content-Length"] = str(len(body))
        request.connection.write_headers(start_line_cls("HTTP/1.1", 200, "OK"), headers, body)
        request.connection.finish()

    return callback


async def serve_squall(port: int) -> None:
    from squall.httpserver import HTTPServer
    from squall.httputil import HTTPHeaders, ResponseStartLine

    server = HTTPServer(make_callback(ResponseStartLine, HTTPHeaders))
    server.listen(port, "127.0.0.1")
    await asyncio.Event().wait()


async def serve_tornado(port: int) -> None:
    from tornado.httpserver import HTTPServer
    from tornado.httputil import HTTPHeaders, ResponseStartLine

    server = HTTPServer(make_callback(ResponseStartLine, HTTPHeaders))
    server.listen(port, "127.0.0.1")
    await asyncio.Event().wait()


class RawProtocol(asyncio.Protocol):
    """Canned responses with the least work that still frames requests correctly."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data
        out = []
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            length = 0
            i = head.find(b"Content-Length:")
            if i < 0:
                i = head.lower().find(b"content-length:")
            if i >= 0:
                length = int(head[i + 15 : head.find(b"\r\n", i) if b"\r\n" in head[i:] else None])
            if len(buf) < end + 4 + length:
                break
            body = buf[end + 4 : end + 4 + length] if length else HELLO
            buf = buf[end + 4 + length :]
            out.append(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%b"
                % (len(body), body)
            )
        self.buffer = buf
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


async def serve_raw(port: int) -> None:
    loop = asyncio.get_running_loop()
    await loop.create_server(RawProtocol, "127.0.0.1", port)
    await asyncio.Event().wait()


SERVERS = {"squall": serve_squall, "tornado": serve_tornado, "raw": serve_raw}


# ------------------------------------------------------- the harness, adapted


def check_endpoints(port: int) -> None:
    """Verify both endpoints answer correctly before measuring them."""
    body = b"x" * http_bench.ECHO_BODY_SIZE
    for method, path, payload, expected in (
        ("GET", "/", None, HELLO),
        ("POST", "/echo", body, body),
    ):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request(method, path, body=payload)
            resp = conn.getresponse()
            got = resp.read()
        finally:
            conn.close()
        if resp.status != 200 or got != expected:
            raise http_bench.BenchError(f"{method} {path}: {resp.status} {got[:80]!r}")


@contextlib.contextmanager
def running_server(
    framework: str, cpu: int, startup_timeout: float, log_dir: Path
) -> Iterator[tuple[int, int]]:
    """Start one of ``SERVERS`` (this script, ``--serve``) pinned to ``cpu``."""
    port = http_bench.free_port()
    log_path = log_dir / f"{framework}-{port}.log"
    argv = [sys.executable, __file__, "--serve", framework, "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["taskset", "-c", str(cpu), *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not http_bench.probe(port, timeout=1.0):
            if proc.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-2000:]
                raise http_bench.BenchError(f"{framework} server did not start:\n{output}")
            time.sleep(0.1)
        check_endpoints(port)
        yield proc.pid, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def configure_harness() -> None:
    """Point ``http_bench`` at these servers and endpoints."""
    http_bench.FRAMEWORKS = {
        "squall": ("", "squall.httpserver"),
        "tornado": ("", "tornado"),
        "raw": ("", "asyncio"),
    }
    http_bench.ENDPOINTS = (
        http_bench.Endpoint("hello", "GET", "/"),
        http_bench.Endpoint("echo", "POST", "/echo"),
    )
    http_bench.REFERENCE = "tornado"
    http_bench.running_server = running_server
    http_bench.check_endpoints = check_endpoints


def main() -> int:
    if "--serve" in sys.argv:
        p = argparse.ArgumentParser()
        p.add_argument("--serve", choices=sorted(SERVERS), required=True)
        p.add_argument("--port", type=int, required=True)
        args = p.parse_args()
        asyncio.run(SERVERS[args.serve](args.port))
        return 0
    configure_harness()
    status: int = http_bench.main()
    return status


if __name__ == "__main__":
    sys.exit(main())
