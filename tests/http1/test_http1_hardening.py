"""HTTP1ServerConnection hardening over real loopback sockets.

Lingering close after error responses (http.client and curl uploading a body over
the limit), the idle / header / body / keep-alive timeouts, max requests per
connection, the decompressed-size cap and ``detach`` keeping buffered bytes.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import shutil
import socket
import ssl
import subprocess
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from squall_test_http1 import serve_while

from squall.http1connection import (
    HTTP1Connection,
    HTTP1ConnectionParameters,
)
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    RequestStartLine,
    ResponseStartLine,
)
from squall.iostream import IOStream

MiB = 1024 * 1024


class Echo(HTTPMessageDelegate):
    """Answers 200 with ``<method> <path> <body length>`` once the body is read."""

    def __init__(self, conn: HTTPConnection, app: App) -> None:
        self.conn = conn
        self.app = app
        self.start: RequestStartLine | None = None
        self.body = bytearray()

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        assert isinstance(start_line, RequestStartLine)
        self.start = start_line
        if self.app.on_head is not None:
            self.app.on_head(self.conn, start_line, headers)
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        self.body += chunk
        return None

    def finish(self) -> None:
        assert self.start is not None
        self.app.bodies.append(bytes(self.body))
        text = f"{self.start.method} {self.start.path} {len(self.body)}".encode()
        headers = HTTPHeaders({"Content-Length": str(len(text))})
        self.conn.write_headers(ResponseStartLine("HTTP/1.1", 200, "OK"), headers, text)
        self.conn.finish()

    def on_connection_close(self) -> None:
        self.app.closed_early += 1


class App(HTTPServerConnectionDelegate):
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.closed_early = 0
        self.on_head: Callable[[HTTPConnection, RequestStartLine, HTTPHeaders], None] | None = None

    def start_request(self, server_conn: object, request_conn: HTTPConnection) -> Echo:
        return Echo(request_conn, self)


def run(
    client: Callable[[int], Any], app: App | None = None, tls: Any = None, **params: Any
) -> tuple[Any, App]:
    """Serve ``app`` with ``HTTP1ConnectionParameters(**params)``; run ``client(port)``."""
    app = app or App()

    conn_params = HTTP1ConnectionParameters(**params)
    return asyncio.run(serve_while(client, conn_params, app, tls)), app


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    out = b""
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return out + b"<RESET>"
        if not data:
            return out
        out += data


def body_chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    block = b"x" * size
    for _ in range(total // size):
        yield block


# -- lingering close ----------------------------------------------------------------


def post_with_http_client(port: int, *, chunked: bool) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if chunked:
            conn.request("POST", "/up", body=body_chunks(20 * MiB), encode_chunked=True)
        else:
            conn.request("POST", "/up", body=b"x" * (20 * MiB))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_http_client_uploading_over_the_limit_reads_the_413(chunked: bool) -> None:
    for _ in range(3):  # "reliably": a reset would lose the response now and then
        (status, body), app = run(
            lambda port: post_with_http_client(port, chunked=chunked), max_body_size=MiB
        )
        assert (status, body) == (413, b"")
        assert app.bodies == []


def test_tls_client_uploading_over_the_limit_reads_the_413() -> None:
    """TLS cannot half-close, but draining alone still delivers the 413."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    def client(port: int) -> tuple[int, bytes]:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=client_ctx)
        try:
            conn.request("POST", "/up", body=b"x" * (8 * MiB))
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    (status, body), app = run(client, tls=server_ctx, max_body_size=MiB)
    assert (status, body) == (413, b"")
    assert app.bodies == []


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_curl_uploading_over_the_limit_reads_the_413(chunked: bool, tmp_path: Path) -> None:
    upload = tmp_path / "upload.bin"
    upload.write_bytes(b"y" * (20 * MiB))

    def client(port: int) -> str:
        args = ["curl", "-s", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}"]
        args += ["--data-binary", f"@{upload}", "-H", "Expect:"]
        if chunked:
            args += ["-H", "Transfer-Encoding: chunked"]
        args.append(f"http://127.0.0.1:{port}/up")
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
        return done.stdout

    status, _app = run(client, max_body_size=MiB)
    assert status == "413"


def test_error_response_is_followed_by_a_half_close() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\nmore junk")
            start = time.monotonic()
            data = read_all(sock)  # the FIN arrives while our side is still open
            assert time.monotonic() - start < 1.5
            sock.sendall(b"still being discarded")
            return data

    data, _app = run(client)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in data


# -- timeouts and request limits ----------------------------------------------------


def test_idle_connection_is_closed_silently() -> None:
    def client(port: int) -> tuple[bytes, float]:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            start = time.monotonic()
            return read_all(sock), time.monotonic() - start

    (data, elapsed), _app = run(client, idle_timeout=0.2)
    assert data == b""
    assert 0.15 < elapsed < 2


def test_slow_head_gets_408() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")
            return read_all(sock)

    data, _app = run(client, header_read_timeout=0.2)
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


def test_header_timeout_bounds_the_whole_head_and_closes() -> None:
    """Tornado's ``header_timeout`` (``idle_connection_timeout``) just closes."""

    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n")
            return read_all(sock)

    data, _app = run(client, header_timeout=0.2)
    assert data == b""


def test_stalled_body_gets_408() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
            return read_all(sock)

    data, app = run(client, body_idle_timeout=0.2)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert app.closed_early == 1


def test_body_timeout_bounds_the_whole_body() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
            sock.settimeout(5)
            for _ in range(20):  # never idle for long, but too slow overall
                try:
                    sock.sendall(b"ab")
                except OSError:
                    break
                time.sleep(0.05)
            return read_all(sock)

    data, _app = run(client, body_timeout=0.3)
    assert data.startswith(b"HTTP/1.1 408 ")


def test_keep_alive_idle_closes_silently() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
            return read_all(sock)

    data, _app = run(client, keep_alive_timeout=0.2)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"GET /1 0")


def test_max_requests_closes_after_the_last() -> None:
    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" * 3)
            return read_all(sock)

    data, _app = run(client, max_requests=2)
    first, second = data.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert b"Connection: close" not in first
    assert b"Connection: close" in second
    assert data.count(b"GET /1 0") == 2


# -- decompression cap --------------------------------------------------------------


def post_encoded(port: int, body: bytes, encoding: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/z", body=body, headers={"Content-Encoding": encoding})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_gzip_bomb_is_413() -> None:
    bomb = gzip.compress(b"\0" * (16 * MiB))
    assert len(bomb) < 32 * 1024
    (status, _body), app = run(
        lambda port: post_encoded(port, bomb, "gzip"), decompress=True, max_body_size=MiB
    )
    assert status == 413
    assert app.bodies == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw"])
def test_compressed_body_under_the_limit_is_decoded(encoding: str) -> None:
    plain = b"hello world " * 5000
    if encoding == "gzip":
        data = gzip.compress(plain)
    elif encoding == "deflate":
        data = zlib.compress(plain)
    else:
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        data = compressor.compress(plain) + compressor.flush()
        encoding = "deflate"
    (status, body), app = run(
        lambda port: post_encoded(port, data, encoding), decompress=True, max_body_size=MiB
    )
    assert (status, body) == (200, f"POST /z {len(plain)}".encode())
    assert app.bodies == [plain]


def test_corrupt_gzip_is_400() -> None:
    data = gzip.compress(b"abc" * 1000)[:-30] + b"\xff" * 30
    (status, _body), _app = run(lambda port: post_encoded(port, data, "gzip"), decompress=True)
    assert status == 400


# -- detach -------------------------------------------------------------------------


def test_detach_keeps_the_bytes_sent_after_the_head() -> None:
    detached: list[IOStream] = []
    extra = b"first frame bytes" + bytes(range(256)) * 40

    def on_head(conn: HTTPConnection, start: RequestStartLine, headers: HTTPHeaders) -> None:
        assert isinstance(conn, HTTP1Connection)
        stream = conn.detach()
        detached.append(stream)

        async def echo_back() -> None:
            data = await stream.read_bytes(len(extra))
            await stream.write(b"got:" + data)
            stream.close()

        asyncio.get_running_loop().create_task(echo_back())

    def client(port: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\n\r\n" + extra)
            return read_all(sock)

    app = App()
    app.on_head = on_head
    data, _app = run(client, app)
    assert len(detached) == 1
    assert data == b"got:" + extra
