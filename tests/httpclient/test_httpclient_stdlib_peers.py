"""The client against peers nobody here wrote: http.server (threaded), h11; TLS via trustme."""

from __future__ import annotations

import asyncio
import hashlib
import http.server
import re
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h11
import pytest
import trustme

from squall.httpclient import AsyncHTTPClient, HTTPClient, HTTPClientError, main
from squall.simple_httpclient._auth import digest_auth_header, parse_digest_challenge

REALM = "squall-test"
NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/basic":
            ok = self.headers.get("Authorization") == "Basic dXNlcjpww6Rzcw=="  # user:päss
            self.reply(200 if ok else 401, b"basic ok" if ok else b"no")
        elif self.path.startswith("/digest"):
            self.digest()
        else:
            self.reply(200, f"path={self.path}".encode(), {"X-Test": "1"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.reply(201, body[::-1])

    def digest(self) -> None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Digest "):
            challenge = f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", opaque="xyz"'
            self.reply(401, b"challenge", {"WWW-Authenticate": challenge})
            return
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', auth[7:]))
        # An independent computation of RFC 7616 §3.4.1 (MD5, qop=auth).
        ha1 = hashlib.md5(f"user:{REALM}:secret".encode()).hexdigest()
        ha2 = hashlib.md5(f"GET:{fields['uri']}".encode()).hexdigest()
        expected = hashlib.md5(
            f"{ha1}:{NONCE}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}".encode()
        ).hexdigest()
        ok = fields["response"] == expected and fields["opaque"] == "xyz"
        self.reply(200 if ok else 403, b"digest ok" if ok else b"bad digest")


@pytest.fixture
def stdlib_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run(coro_fn: Any) -> Any:
    async def main() -> Any:
        client = AsyncHTTPClient(force_instance=True)
        try:
            return await coro_fn(client)
        finally:
            client.close()

    return asyncio.run(main())


def test_get_post_and_keep_alive_against_http_server(stdlib_server: int) -> None:
    url = f"http://127.0.0.1:{stdlib_server}"

    async def go(c: Any) -> None:
        r = await c.fetch(url + "/a?b=c")
        assert (r.code, r.body, r.headers["X-Test"]) == (200, b"path=/a?b=c", "1")
        r = await c.fetch(url + "/p", method="POST", body=b"abc")
        assert (r.code, r.body) == (201, b"cba")
        assert c._pool.idle_count() == 1  # the same connection served both

    run(go)


def test_basic_and_digest_auth(stdlib_server: int) -> None:
    url = f"http://127.0.0.1:{stdlib_server}"

    async def go(c: Any) -> None:
        r = await c.fetch(url + "/basic", auth_username="user", auth_password="päss")
        assert r.body == b"basic ok"
        r = await c.fetch(
            url + "/digest?x=1", auth_username="user", auth_password="secret", auth_mode="digest"
        )
        assert r.body == b"digest ok"
        with pytest.raises(HTTPClientError) as info:
            await c.fetch(
                url + "/digest", auth_username="user", auth_password="wrong", auth_mode="digest"
            )
        assert info.value.code == 403

    run(go)


def test_digest_rfc2617_example_vector() -> None:
    challenge = parse_digest_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    assert challenge is not None
    header = digest_auth_header(
        challenge, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", cnonce="0a4f113b"
    )
    assert header is not None
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert parse_digest_challenge('Basic realm="x"') is None
    assert parse_digest_challenge("Digest " + "a" * 10000) is None


def test_blocking_client_and_main(stdlib_server: int, capsys: pytest.CaptureFixture[str]) -> None:
    client = HTTPClient()
    try:
        assert client.fetch(f"http://127.0.0.1:{stdlib_server}/sync").body == b"path=/sync"
        with pytest.raises(HTTPClientError):
            client.fetch(f"http://127.0.0.1:{stdlib_server}/basic")
        r = client.fetch(f"http://127.0.0.1:{stdlib_server}/basic", raise_error=False)
        assert r.code == 401
    finally:
        client.close()
    main(["prog", "--print_headers", f"http://127.0.0.1:{stdlib_server}/cli"])
    out = capsys.readouterr().out
    assert "X-Test: 1" in out and "path=/cli" in out


def test_module_main_subprocess(stdlib_server: int) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "squall.httpclient", f"http://127.0.0.1:{stdlib_server}/m"],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    assert out.strip() == b"path=/m"


def test_h11_server_chunked_response() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
                continue
            if isinstance(event, h11.EndOfMessage):
                break
        data = conn.send(h11.Response(status_code=200, headers=[("Transfer-Encoding", "chunked")]))
        for part in (b"from ", b"h11"):
            data += conn.send(h11.Data(data=part))
        data += conn.send(h11.EndOfMessage())
        writer.write(data)
        await writer.drain()
        writer.close()

    async def main_() -> None:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        c = AsyncHTTPClient(force_instance=True)
        try:
            r = await c.fetch(f"http://127.0.0.1:{port}/", method="POST", body=b"x" * 1000)
            assert r.body == b"from h11"
        finally:
            c.close()
            server.close()
            await server.wait_closed()

    asyncio.run(main_())


# -- TLS (trustme) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server_context(ca: trustme.CA, require_client_cert: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)
    return context


async def tls_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            peer = writer.get_extra_info("peercert")
            body = b"client-cert" if peer else b"tls"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


def test_tls_verification(ca: trustme.CA, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    async def main_() -> None:
        server = await asyncio.start_server(tls_hello, "127.0.0.1", 0, ssl=tls_server_context(ca))
        port = server.sockets[0].getsockname()[1]
        c = AsyncHTTPClient(force_instance=True)
        try:
            r = await c.fetch(f"https://localhost:{port}/", ca_certs=str(ca_file))
            assert r.body == b"tls"
            # Verification is on by default: the system store does not know trustme's CA.
            with pytest.raises(ssl.SSLError):
                await c.fetch(f"https://localhost:{port}/")
            r = await c.fetch(f"https://localhost:{port}/", validate_cert=False)
            assert r.body == b"tls"
        finally:
            c.close()
            server.close()
            await server.wait_closed()

    asyncio.run(main_())


def test_tls_client_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client_cert = ca.issue_cert("client@example.com")
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    client_cert.cert_chain_pems[0].write_to_path(str(cert_file))
    client_cert.private_key_pem.write_to_path(str(key_file))

    async def main_() -> None:
        server = await asyncio.start_server(
            tls_hello, "127.0.0.1", 0, ssl=tls_server_context(ca, require_client_cert=True)
        )
        port = server.sockets[0].getsockname()[1]
        c = AsyncHTTPClient(force_instance=True)
        try:
            url = f"https://localhost:{port}/"
            r = await c.fetch(
                url, ca_certs=str(ca_file), client_cert=str(cert_file), client_key=str(key_file)
            )
            assert r.body == b"client-cert"
            # A request without the certificate never reuses the certified connection.
            with pytest.raises((ssl.SSLError, HTTPClientError, OSError)):
                await c.fetch(url, ca_certs=str(ca_file))
        finally:
            c.close()
            server.close()
            await server.wait_closed()

    asyncio.run(main_())
