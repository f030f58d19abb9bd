"""HTTPServer against real peers: curl, nginx as a reverse proxy, slowhttptest.

The tools come from Debian (``apt-get install -y curl nginx-light slowhttptest``).
A missing tool fails the test when ``CI`` is set and skips it otherwise.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import shutil
import socket
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from squall.httpserver import HTTPServer
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.netutil import bind_sockets


def require(tool: str) -> str:
    path = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if os.path.exists(f"/usr/sbin/{tool}") else None
    )
    if path is None:
        message = f"{tool} is not installed (apt-get install -y {tool})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app(req: HTTPServerRequest) -> None:
    """``/echo`` returns the body; anything else describes the request."""
    assert req.connection is not None
    if req.path == "/echo":
        body = req.body
    else:
        context: Any = getattr(req.connection, "context", None)
        address = getattr(context, "address", None)
        upstream_port = address[1] if isinstance(address, tuple) else 0
        body = (
            f"ip={req.remote_ip} proto={req.protocol} host={req.host} "
            f"upstream={upstream_port} te={req.headers.get('Transfer-Encoding', '-')}"
        ).encode()
    req.connection.write_headers(
        ResponseStartLine("HTTP/1.1", 200, "OK"),
        HTTPHeaders({"Content-Length": str(len(body)), "Content-Type": "text/plain"}),
    )
    req.connection.write(body)
    req.connection.finish()


@asynccontextmanager
async def serve(**kwargs: Any) -> AsyncIterator[tuple[HTTPServer, int]]:
    socks = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app, **kwargs)
    server.add_sockets(socks)
    try:
        yield server, socks[0].getsockname()[1]
    finally:
        server.stop()
        await server.close_all_connections()


async def run_tool(*argv: str, timeout: float = 30) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out, err


# ------------------------------------------------------------------------- curl


def test_curl_chunked_upload_and_expect_continue(tmp_path: Path) -> None:
    curl = require("curl")
    payload = tmp_path / "payload.bin"
    data = os.urandom(200_000)
    payload.write_bytes(data)

    async def main() -> None:
        async with serve() as (_server, port):
            url = f"http://127.0.0.1:{port}"
            # Chunked upload: curl streams the file in chunks.
            code, out, err = await run_tool(
                curl, "--http1.1", "-sS", "--fail", "--data-binary", f"@{payload}",
                "-H", "Transfer-Encoding: chunked", f"{url}/echo",
            )  # fmt: skip
            assert code == 0, err
            assert out == data
            # Expect: 100-continue; curl would send the body anyway after
            # --expect100-timeout, so a long one proves the server sent the 100.
            started = time.monotonic()
            code, out, err = await run_tool(
                curl, "--http1.1", "-sS", "-v", "--fail", "--expect100-timeout", "20",
                "-H", "Expect: 100-continue", "--data-binary", f"@{payload}", f"{url}/echo",
            )  # fmt: skip
            assert code == 0, err
            assert out == data
            assert b"< HTTP/1.1 100 Continue" in err
            assert time.monotonic() - started < 10
            # Keep-alive: two URLs on one connection.
            code, out, err = await run_tool(curl, "--http1.1", "-sS", "-v", f"{url}/a", f"{url}/b")
            assert code == 0, err
            assert b"Re-using existing connection" in err
            assert out.count(b"ip=127.0.0.1 proto=http") == 2

    asyncio.run(main())


def test_curl_over_unix_socket(tmp_path: Path) -> None:
    curl = require("curl")
    from squall.netutil import bind_unix_socket

    async def main() -> None:
        path = str(tmp_path / "s.sock")
        server = HTTPServer(app)
        server.add_socket(bind_unix_socket(path))
        try:
            code, out, err = await run_tool(
                curl, "--http1.1", "-sS", "--unix-socket", path, "http://squall.test/x"
            )
            assert code == 0, err
            assert out.startswith(b"ip=0.0.0.0 proto=http host=squall.test")
        finally:
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())


# ------------------------------------------------------------------------ nginx

NGINX_CONF = """
worker_processes 1;
daemon off;
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 128; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream squall {{
        server 127.0.0.1:{upstream};
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;
        location / {{
            proxy_pass http://squall;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering off;
        }}
    }}
}}
"""


@asynccontextmanager
async def nginx_in_front(tmp: Path, upstream: int) -> AsyncIterator[tuple[int, int]]:
    nginx = require("nginx")
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    cert.private_key_pem.write_to_path(str(tmp / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
    ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
    tmp.chmod(0o755)
    port, tls_port = free_port(), free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, upstream=upstream, port=port, tls_port=tls_port))
    proc = await asyncio.create_subprocess_exec(
        nginx, "-c", str(conf), "-e", str(tmp / "error.log"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(200):  # wait until it listens
            try:
                _r, w = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                if proc.returncode is not None:
                    raise AssertionError((tmp / "error.log").read_text()) from None
                await asyncio.sleep(0.02)
                continue
            w.close()
            await w.wait_closed()
            break
        yield port, tls_port
    finally:
        if proc.returncode is None:
            proc.terminate()
        assert proc.stderr is not None
        await proc.stderr.read()
        await proc.wait()


async def fetch(
    port: int, path: str, headers: str = "", *, source: str = "127.0.0.2", tls: Any = None
) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, local_addr=(source, 0), ssl=tls,
        server_hostname="localhost" if tls else None,
    )  # fmt: skip
    host = f"app.example:{port}"
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n".encode()
    )
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await writer.wait_closed()
    assert data.startswith(b"HTTP/1.1 200"), data
    return data.split(b"\r\n\r\n", 1)[1]


def fields(body: bytes) -> dict[str, str]:
    return dict(item.split("=", 1) for item in body.decode().split())


def test_behind_nginx(tmp_path: Path) -> None:
    async def main() -> None:
        async with (
            serve(xheaders=True) as (_server, upstream),
            nginx_in_front(tmp_path, upstream) as (port, tls_port),
        ):
            # The client connects from 127.0.0.2, so its address differs from the
            # proxy's (127.0.0.1): squall must report the former.
            plain = fields(await fetch(port, "/"))
            assert plain["ip"] == "127.0.0.2"
            assert plain["proto"] == "http"
            assert plain["host"] == f"app.example:{port}"
            # A spoofed X-Forwarded-For entry is left of the hop nginx appends.
            spoofed = fields(await fetch(port, "/", "X-Forwarded-For: 6.6.6.6\r\n"))
            assert spoofed["ip"] == "127.0.0.2"
            # TLS terminated by nginx: X-Forwarded-Proto https.
            ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
            secure = fields(await fetch(tls_port, "/", tls=ctx))
            assert (secure["ip"], secure["proto"]) == ("127.0.0.2", "https")
            # Keep-alive upstream: sequential requests reuse nginx's connection.
            ports = {fields(await fetch(port, "/"))["upstream"] for _ in range(5)}
            assert len(ports) == 1, ports
            # A chunked upload streams through nginx to squall.
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body = os.urandom(100_000)
            writer.write(
                b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                b"Connection: close\r\n\r\n"
            )
            for i in range(0, len(body), 30_000):
                part = body[i : i + 30_000]
                writer.write(b"%x\r\n%b\r\n" % (len(part), part))
            writer.write(b"0\r\n\r\n")
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            await writer.wait_closed()
            assert data.startswith(b"HTTP/1.1 200")
            assert data.split(b"\r\n\r\n", 1)[1] == body

    asyncio.run(main())


def test_behind_nginx_trusted_downstream(tmp_path: Path) -> None:
    async def main() -> None:
        async with (
            serve(xheaders=True, trusted_downstream=["127.0.0.2"]) as (_server, upstream),
            nginx_in_front(tmp_path, upstream) as (port, _tls_port),
        ):
            # 127.0.0.2 is a trusted proxy now: the hop before it is the client.
            got = fields(await fetch(port, "/", "X-Forwarded-For: 198.51.100.7\r\n"))
            assert got["ip"] == "198.51.100.7"

    asyncio.run(main())


# ---------------------------------------------------------------- slowhttptest


def test_slowloris_connections_are_reaped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tool = require("slowhttptest")
    caplog.set_level(logging.INFO)

    async def main() -> None:
        # A head must be complete within 1 s of its first byte; slowhttptest sends
        # one more header line every 2 s, so every attack connection gets a 408.
        async with serve(header_read_timeout=1.0) as (server, port):
            peak = 0
            answered = 0

            async def probe() -> None:
                nonlocal peak, answered
                while True:
                    peak = max(peak, server.connection_count)
                    body = await fetch(port, "/", source="127.0.0.1")
                    answered += body.startswith(b"ip=")
                    await asyncio.sleep(0.2)

            prober = asyncio.ensure_future(probe())
            prefix = tmp_path / "slow"
            code, out, err = await run_tool(
                tool, "-H", "-c", "200", "-r", "200", "-i", "2", "-l", "10", "-x", "8",
                "-p", "2", "-g", "-o", str(prefix), "-u", f"http://127.0.0.1:{port}/",
                timeout=60,
            )  # fmt: skip
            prober.cancel()
            await asyncio.gather(prober, return_exceptions=True)
            assert code == 0, (out, err)
            with open(f"{prefix}.csv", newline="") as f:
                rows = [
                    {k.strip().lower(): v.strip() for k, v in r.items()} for r in csv.DictReader(f)
                ]
            closed = max(int(r["closed"]) for r in rows)
            available = [r["service available"] for r in rows]
            print(f"slowhttptest: closed={closed} peak={peak} answered={answered}")
            # The server closed the attack connections itself, stayed available and
            # never held more than the attack's connections (plus probes).
            assert closed >= 150, rows[-1]
            # The probe column is the status code it got (or "yes" in old versions).
            assert all(a.lower() in ("yes", "200") for a in available), available
            assert answered >= 10
            assert peak <= 210
            reaped = [
                r for r in caplog.records if "timed out reading the request head" in r.getMessage()
            ]
            assert len(reaped) >= 150

    asyncio.run(main())
