"""Where CA certificates come from: the system store, else the ``tls`` extra (trustme)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import trustme

from squall.httpclient import AsyncHTTPClient
from squall.simple_httpclient import _prepare, _trust


class _Paths(NamedTuple):
    cafile: str | None
    capath: str | None


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def no_system_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pretend OpenSSL's default CA file and directory are missing."""
    empty = tmp_path / "empty-certs"
    empty.mkdir()
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: _Paths(None, str(empty)))
    monkeypatch.setattr(_prepare, "_default_contexts", {})


def _without(monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    real = _trust._importable
    monkeypatch.setattr(_trust, "_importable", lambda n: None if n in missing else real(n))


@contextlib.asynccontextmanager
async def tls_server(ca: trustme.CA) -> AsyncIterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(context)

    async def hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntls")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(hello, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def _handshake(context: ssl.SSLContext, ca: trustme.CA) -> bool:
    """Whether ``context`` verifies a trustme-signed ``localhost`` (in-memory TLS)."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_context)
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(c_in, c_out, server_hostname="localhost")
    server = server_context.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side, out, peer_in in ((client, c_out, s_in), (server, s_out, c_in)):
            try:
                side.do_handshake()
                if side is client:
                    return True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLCertVerificationError:
                return False
            peer_in.write(out.read())
    raise AssertionError("handshake did not finish")


def test_system_store_detection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty, full = tmp_path / "empty", tmp_path / "full"
    empty.mkdir()
    full.mkdir()
    (full / "abcd1234.0").write_text("x")
    for paths, expected in [
        (_Paths(str(tmp_path / "bundle.pem"), None), True),
        (_Paths(None, str(full)), True),
        (_Paths(None, str(empty)), False),
        (_Paths(None, str(tmp_path / "missing")), False),
        (_Paths(None, None), False),
    ]:
        monkeypatch.setattr(ssl, "get_default_verify_paths", lambda p=paths: p)
        assert _trust.system_store_available() is expected


@pytest.mark.usefixtures("no_system_store")
def test_extra_is_used_only_where_the_system_store_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    has_truststore = importlib.util.find_spec("truststore") is not None
    assert _trust.trust_source() == ("truststore" if has_truststore else "certifi")
    _without(monkeypatch, "truststore")
    assert _trust.trust_source() == "certifi"
    _without(monkeypatch, "truststore", "certifi")
    assert _trust.trust_source() == "system"  # verification still on, and failing


def test_system_store_wins_when_present(monkeypatch: pytest.MonkeyPatch, ca_file: str) -> None:
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: _Paths(ca_file, None))
    assert _trust.trust_source() == "system"


@pytest.mark.parametrize("source", _trust.SOURCES)
def test_every_source_verifies_and_rejects_an_unknown_ca(
    source: str, ca: trustme.CA, ca_file: str
) -> None:
    if source != "system":
        pytest.importorskip(source)
    context = _trust.default_context(source=source)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert not _handshake(context, ca)  # trustme's CA is in no real store
    assert _handshake(_trust.default_context(ca_file), ca)


@pytest.mark.usefixtures("no_system_store")
def test_client_uses_certifi_bundle_without_a_system_store(
    monkeypatch: pytest.MonkeyPatch, ca: trustme.CA, ca_file: str
) -> None:
    certifi: Any = pytest.importorskip("certifi")
    _without(monkeypatch, "truststore")

    async def main() -> None:
        async with tls_server(ca) as port:
            url = f"https://localhost:{port}/"
            client = AsyncHTTPClient(force_instance=True)
            try:
                with pytest.raises(ssl.SSLCertVerificationError):
                    await client.fetch(url)
                # The same code path, with the bundle now holding trustme's CA.
                monkeypatch.setattr(certifi, "where", lambda: ca_file)
                monkeypatch.setattr(_prepare, "_default_contexts", {})
                assert (await client.fetch(url)).body == b"tls"
            finally:
                client.close()

    asyncio.run(main())


@pytest.mark.usefixtures("no_system_store")
def test_client_uses_truststore_without_a_system_store(
    monkeypatch: pytest.MonkeyPatch, ca: trustme.CA
) -> None:
    truststore: Any = pytest.importorskip("truststore")
    made: list[ssl.SSLContext] = []
    real = truststore.SSLContext

    def spy(protocol: int) -> ssl.SSLContext:
        context: ssl.SSLContext = real(protocol)
        made.append(context)
        return context

    monkeypatch.setattr(truststore, "SSLContext", spy)

    async def main() -> None:
        async with tls_server(ca) as port:
            client = AsyncHTTPClient(force_instance=True)
            try:
                with pytest.raises(ssl.SSLCertVerificationError):
                    await client.fetch(f"https://localhost:{port}/")
            finally:
                client.close()

    asyncio.run(main())
    assert made  # the OS store (through truststore) was asked, and refused trustme
