"""The client against real servers nobody here wrote: nginx (origin) and tinyproxy (proxy).

Each fixture writes a config into a temp dir and runs the server in the foreground on
a free loopback port, stopping it afterwards. Keep-alive reuse is checked from nginx's
own access log (``$connection`` / ``$connection_requests``). Under CI (env ``CI``
set) a missing ``nginx`` or ``tinyproxy`` fails these tests; elsewhere they skip.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from squall.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

BIG_TEXT = b"".join(b"line %05d of a compressible text body\n" % i for i in range(4000))


def need(tool: str) -> str:
    path = shutil.which(tool) or next(
        (p for p in (f"/usr/sbin/{tool}", f"/usr/bin/{tool}") if os.access(p, os.X_OK)), None
    )
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is required under CI (apt-get install -y {tool})")
        pytest.skip(f"{tool} not installed")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {text[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server did not listen on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Nginx:
    port: int
    tls_port: int
    root: Path
    access_log: Path
    ca: trustme.CA

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def tls_url(self, path: str) -> str:
        return f"https://localhost:{self.tls_port}{path}"

    def log_lines(self) -> list[list[str]]:
        """Access log entries: [connection, connection_requests, status, uri, auth, proxy auth]."""
        deadline = time.monotonic() + 2
        text = ""
        while time.monotonic() < deadline:
            text = self.access_log.read_text()
            if text.endswith("\n") or not text:
                break
            time.sleep(0.01)
        return [line.split("|") for line in text.splitlines()]


NGINX_CONF = """
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    default_type text/plain;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    log_format serials '$connection|$connection_requests|$status|$request_uri|'
                       '$http_authorization|$http_proxy_authorization';
    access_log {d}/access.log serials;
    keepalive_requests 1000;
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {d}/server.pem;
        ssl_certificate_key {d}/server.key;
        root {d}/www;
        gzip on;
        gzip_types text/plain;
        gzip_min_length 0;
        location = /hello {{ return 200 "hello from nginx\\n"; }}
        location = /redirect {{ return 302 /hello; }}
        location = /redirect-abs {{ return 301 http://127.0.0.1:{port}/redirect; }}
        location /upload/ {{
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 10m;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    exe = need("nginx")
    d = tmp_path_factory.mktemp("nginx")
    (d / "www").mkdir()
    (d / "www" / "big.txt").write_bytes(BIG_TEXT)
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_pem.write_to_path(str(d / "server.key"))
    cert.cert_chain_pems[0].write_to_path(str(d / "server.pem"))
    for extra in cert.cert_chain_pems[1:]:
        with (d / "server.pem").open("ab") as f:
            f.write(extra.bytes())
    port, tls_port = free_port(), free_port()
    conf = d / "nginx.conf"
    conf.write_text(NGINX_CONF.format(d=d, port=port, tls_port=tls_port))
    proc = subprocess.Popen(
        [exe, "-p", str(d), "-e", str(d / "error.log"), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_listening(port, proc, d / "error.log")
        wait_listening(tls_port, proc, d / "error.log")
        yield Nginx(port, tls_port, d / "www", d / "access.log", ca)
    finally:
        stop(proc)


def run(coro: Any) -> Any:
    async def main() -> Any:
        result = await coro
        # Closing a TLS stream starts asyncio's TLS shutdown (close_notify), which
        # ends on later loop iterations; give it a moment before asyncio.run
        # closes the loop, or the raw socket transport under it is reported as
        # leaked. (Known gap, see the closing note: AsyncHTTPClient.close() is
        # synchronous, so it cannot wait for that shutdown itself.)
        await asyncio.sleep(0.3)
        return result

    return asyncio.run(main())


async def fetch_all(urls: list[str], **kwargs: Any) -> list[HTTPResponse]:
    client = AsyncHTTPClient(force_instance=True, max_clients=1)
    try:
        return [await client.fetch(url, **kwargs) for url in urls]
    finally:
        client.close()


def entries_for(nginx: Nginx, uri: str) -> list[list[str]]:
    return [e for e in nginx.log_lines() if e[3] == uri]


# -- nginx as the origin -------------------------------------------------------------


def test_nginx_keep_alive_reuses_one_connection(nginx: Nginx) -> None:
    uri = "/hello?keepalive"
    responses = run(fetch_all([nginx.url(uri)] * 5))
    assert [r.body for r in responses] == [b"hello from nginx\n"] * 5
    entries = entries_for(nginx, uri)
    assert len(entries) == 5
    # One connection serial, its request counter 1..5: nginx saw one reused connection.
    assert len({e[0] for e in entries}) == 1
    assert [int(e[1]) for e in entries] == [1, 2, 3, 4, 5]


def test_nginx_gzip_and_chunked_responses_then_reuse(nginx: Nginx) -> None:
    lines: list[str] = []

    async def main() -> list[HTTPResponse]:
        client = AsyncHTTPClient(force_instance=True)
        try:
            decoded = await client.fetch(nginx.url("/big.txt?gz"), header_callback=lines.append)
            raw = await client.fetch(
                nginx.url("/big.txt?gz"),
                decompress_response=False,
                headers={"Accept-Encoding": "gzip"},
            )
            again = await client.fetch(nginx.url("/big.txt?gz"))
            return [decoded, raw, again]
        finally:
            client.close()

    decoded, raw, again = run(main())
    assert decoded.body == BIG_TEXT == again.body
    head = "".join(lines).lower()
    # nginx compresses on the fly: no Content-Length, so the body came chunked.
    assert "content-encoding: gzip" in head
    assert "transfer-encoding: chunked" in head
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.body) == BIG_TEXT
    assert len(raw.body) < len(BIG_TEXT) // 4
    entries = entries_for(nginx, "/big.txt?gz")
    assert len({e[0] for e in entries}) == 1  # a chunked response leaves it reusable
    assert [int(e[1]) for e in entries] == [1, 2, 3]


def test_nginx_redirects_are_followed(nginx: Nginx) -> None:
    relative, absolute = run(fetch_all([nginx.url("/redirect"), nginx.url("/redirect-abs")]))
    assert relative.code == 200 and relative.body == b"hello from nginx\n"
    assert relative.effective_url == nginx.url("/hello")
    assert absolute.code == 200 and absolute.effective_url == nginx.url("/hello")

    async def no_follow() -> HTTPResponse:
        client = AsyncHTTPClient(force_instance=True)
        try:
            response: HTTPResponse = await client.fetch(
                nginx.url("/redirect"), follow_redirects=False, raise_error=False
            )
            return response
        finally:
            client.close()

    response = run(no_follow())
    assert response.code == 302
    assert response.headers["Location"].endswith("/hello")


def test_nginx_100_continue_upload(nginx: Nginx) -> None:
    payload = os.urandom(256 * 1024)
    lines: list[str] = []

    async def main() -> tuple[HTTPResponse, HTTPResponse]:
        client = AsyncHTTPClient(force_instance=True)
        try:
            put = await client.fetch(
                nginx.url("/upload/blob.bin"),
                method="PUT",
                body=payload,
                expect_100_continue=True,
                request_timeout=10,
            )
            got = await client.fetch(
                nginx.url("/upload/blob.bin"),
                decompress_response=False,
                header_callback=lines.append,
            )
            return put, got
        finally:
            client.close()

    put, got = run(main())
    assert put.code == 201
    assert (nginx.root / "upload" / "blob.bin").read_bytes() == payload
    assert got.body == payload


def test_nginx_tls_with_trustme_ca(nginx: Nginx, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    nginx.ca.cert_pem.write_to_path(str(ca_file))
    responses = run(fetch_all([nginx.tls_url("/hello?tls")] * 3, ca_certs=str(ca_file)))
    assert [r.body for r in responses] == [b"hello from nginx\n"] * 3
    entries = entries_for(nginx, "/hello?tls")
    assert len({e[0] for e in entries}) == 1

    async def untrusted() -> None:
        client = AsyncHTTPClient(force_instance=True)
        try:
            await client.fetch(nginx.tls_url("/hello"))
        finally:
            client.close()

    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        run(untrusted())


# -- tinyproxy as a forward proxy ----------------------------------------------------------

TINYPROXY_CONF = """
Port {port}
Listen 127.0.0.1
Timeout 30
MaxClients 20
LogLevel Info
Allow 127.0.0.1
DisableViaHeader Yes
{auth}
"""

USER, PASSWORD = "proxyuser", "pr0xy-s3cret"


@dataclass
class Tinyproxy:
    port: int
    log: Path


def start_tinyproxy(d: Path, auth: bool) -> tuple[subprocess.Popen[bytes], Tinyproxy]:
    exe = need("tinyproxy")
    port = free_port()
    conf = d / "tinyproxy.conf"
    extra = f"BasicAuth {USER} {PASSWORD}" if auth else ""
    if os.geteuid() == 0:
        extra += "\nUser nobody\nGroup nogroup"
    conf.write_text(TINYPROXY_CONF.format(port=port, auth=extra))
    # In the foreground tinyproxy logs to stderr (a file opened before it drops root).
    with (d / "tinyproxy.log").open("wb") as log:
        proc = subprocess.Popen([exe, "-d", "-c", str(conf)], stdout=log, stderr=log)
    wait_listening(port, proc, d / "tinyproxy.log")
    return proc, Tinyproxy(port, d / "tinyproxy.log")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tinyproxy]:
    proc, info = start_tinyproxy(tmp_path_factory.mktemp("tinyproxy"), auth=False)
    try:
        yield info
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def auth_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tinyproxy]:
    proc, info = start_tinyproxy(tmp_path_factory.mktemp("tinyproxy-auth"), auth=True)
    try:
        yield info
    finally:
        stop(proc)


async def fetch_via(url: str, proxy_port: int, **kwargs: Any) -> HTTPResponse:
    client = AsyncHTTPClient(force_instance=True)
    try:
        response: HTTPResponse = await client.fetch(
            url, proxy_host="127.0.0.1", proxy_port=proxy_port, request_timeout=10, **kwargs
        )
        return response
    finally:
        client.close()


def ca_file(nginx: Nginx, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    nginx.ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_tinyproxy_plain_http(nginx: Nginx, proxy: Tinyproxy) -> None:
    response = run(fetch_via(nginx.url("/hello?via-proxy"), proxy.port))
    assert response.code == 200 and response.body == b"hello from nginx\n"
    assert entries_for(nginx, "/hello?via-proxy")  # reached nginx through the proxy
    assert "/hello?via-proxy" in proxy.log.read_text(errors="replace")


def test_tinyproxy_https_connect(nginx: Nginx, proxy: Tinyproxy, tmp_path: Path) -> None:
    response = run(
        fetch_via(
            nginx.tls_url("/hello?via-tunnel"), proxy.port, ca_certs=ca_file(nginx, tmp_path)
        )
    )
    assert response.code == 200 and response.body == b"hello from nginx\n"
    assert entries_for(nginx, "/hello?via-tunnel")
    assert "CONNECT" in proxy.log.read_text(errors="replace")


def test_tinyproxy_basic_auth_plain_http(nginx: Nginx, auth_proxy: Tinyproxy) -> None:
    ok = run(
        fetch_via(
            nginx.url("/hello?auth-plain"),
            auth_proxy.port,
            proxy_username=USER,
            proxy_password=PASSWORD,
            auth_username="origin-user",
            auth_password="origin-pass",
        )
    )
    assert ok.code == 200 and ok.body == b"hello from nginx\n"
    # The origin got its own credentials, never the proxy's.
    [entry] = entries_for(nginx, "/hello?auth-plain")
    assert entry[4].startswith("Basic ")
    assert entry[5] == "-"

    denied = run(fetch_via(nginx.url("/hello?no-auth"), auth_proxy.port, raise_error=False))
    assert denied.code == 407
    assert not entries_for(nginx, "/hello?no-auth")
    wrong = run(
        fetch_via(
            nginx.url("/hello?no-auth"),
            auth_proxy.port,
            proxy_username=USER,
            proxy_password="wrong",
            raise_error=False,
        )
    )
    assert wrong.code in (401, 407)  # tinyproxy 1.11 answers bad credentials with 401
    assert not entries_for(nginx, "/hello?no-auth")


def test_tinyproxy_basic_auth_https_connect(
    nginx: Nginx, auth_proxy: Tinyproxy, tmp_path: Path
) -> None:
    ca = ca_file(nginx, tmp_path)

    async def main() -> tuple[HTTPResponse, HTTPResponse, BaseException | None]:
        client = AsyncHTTPClient(force_instance=True)
        kwargs: dict[str, Any] = {
            "proxy_host": "127.0.0.1",
            "proxy_port": auth_proxy.port,
            "ca_certs": ca,
            "request_timeout": 10,
        }
        try:
            first = await client.fetch(
                nginx.tls_url("/hello?auth-tunnel"),
                proxy_username=USER,
                proxy_password=PASSWORD,
                **kwargs,
            )
            # Reuses the pooled tunnel: same credentials, same proxy.
            second = await client.fetch(
                nginx.tls_url("/hello?auth-tunnel"),
                proxy_username=USER,
                proxy_password=PASSWORD,
                **kwargs,
            )
            # No credentials: must not ride on the authorised tunnel.
            error = None
            try:
                await client.fetch(nginx.tls_url("/hello?auth-tunnel"), **kwargs)
            except HTTPClientError as e:
                error = e
            return first, second, error
        finally:
            client.close()

    first, second, error = run(main())
    assert first.code == second.code == 200
    entries = entries_for(nginx, "/hello?auth-tunnel")
    assert len(entries) == 2
    assert len({e[0] for e in entries}) == 1  # one tunnel, reused
    assert all(e[5] == "-" for e in entries)  # the origin never saw proxy credentials
    assert isinstance(error, HTTPClientError) and error.code == 407
