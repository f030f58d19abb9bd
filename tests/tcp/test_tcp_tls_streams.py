"""SSLIOStream and TLS TCPServer over real loopback sockets, certificates from trustme.

Verification success and failure (unknown CA, host name mismatch, client
certificates), SNI, ALPN, echo, and how a failed handshake is reported and logged.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trustme

from squall.iostream import IOStream, SSLIOStream, StreamClosedError
from squall.tcpserver import TCPServer


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)
        await asyncio.sleep(0.05)  # let TLS shutdowns finish before the loop closes

    asyncio.run(wrapper())


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1")


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def client_context(ca: trustme.CA | None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca is not None:
        ca.configure_trust(context)
    return context


class EchoServer(TCPServer):
    """Echo lines back; remember each stream it was given."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.streams: list[IOStream] = []

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        self.streams.append(stream)
        try:
            while True:
                line = await stream.read_until(b"\n", max_bytes=1 << 21)
                await stream.write(line)
        except StreamClosedError:
            pass


def listen(server: TCPServer) -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = int(sock.getsockname()[1])
    server.add_socket(sock)
    return port


async def tls_connect(
    port: int, context: ssl.SSLContext, server_hostname: str | None = "localhost"
) -> SSLIOStream:
    stream = SSLIOStream(socket.socket(), ssl_options=context)
    await stream.connect(("127.0.0.1", port), server_hostname=server_hostname)
    return stream


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.005)


def test_echo_over_tls(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    async def main() -> None:
        server = EchoServer(ssl_options=server_context(server_cert))
        port = listen(server)
        client = await tls_connect(port, client_context(ca))
        assert isinstance(client, SSLIOStream)
        assert await client.wait_for_handshake() is client
        await client.write(b"hello\n")
        assert await client.read_until(b"\n") == b"hello\n"
        big = bytes(range(256)) * 4096 + b"\n"  # 1 MiB: many TLS records each way
        write = client.write(big)
        assert await client.read_bytes(len(big)) == big
        await write
        (stream,) = server.streams
        assert isinstance(stream, SSLIOStream)
        handshake = stream.wait_for_handshake()
        assert handshake.done()  # TCPServer hands out streams after the handshake
        assert stream.get_ssl_certificate() is None  # the client sent none
        peer = client.get_ssl_certificate()
        assert isinstance(peer, dict)
        assert ("DNS", "localhost") in peer["subjectAltName"]
        der = client.get_ssl_certificate(binary_form=True)
        assert isinstance(der, bytes)
        assert der.startswith(b"\x30")
        client.close()
        await until(stream.closed)
        server.stop()

    run(main)


def test_dict_ssl_options_on_both_sides(
    ca: trustme.CA, server_cert: trustme.LeafCert, tmp_path: Any
) -> None:
    certfile = tmp_path / "server.pem"
    server_cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))

    async def main() -> None:
        server = EchoServer(ssl_options={"certfile": str(certfile)})
        port = listen(server)
        client = SSLIOStream(socket.socket(), ssl_options={"ca_certs": str(cafile)})
        # No server_hostname: the host of the address is checked (127.0.0.1 is in the SAN).
        await client.connect(("127.0.0.1", port))
        await client.write(b"dict\n")
        assert await client.read_until(b"\n") == b"dict\n"
        client.close()
        server.stop()

    run(main)


def test_unknown_ca_fails_with_ssl_error(server_cert: trustme.LeafCert) -> None:
    async def main() -> None:
        server = EchoServer(ssl_options=server_context(server_cert))
        port = listen(server)
        other_ca = trustme.CA()
        client = SSLIOStream(socket.socket(), ssl_options=client_context(other_ca))
        with pytest.raises(StreamClosedError) as info:
            await client.connect(("127.0.0.1", port), server_hostname="localhost")
        error = info.value.real_error
        assert isinstance(error, ssl.SSLCertVerificationError)
        assert "certificate verify failed" in str(error)
        assert client.closed()
        assert client.error is error
        with pytest.raises(StreamClosedError):
            client.write(b"x")
        await asyncio.sleep(0.05)
        assert server.streams == []  # the server's handshake failed too: no handler ran
        server.stop()

    run(main)


def test_hostname_mismatch(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    async def main() -> None:
        server = EchoServer(ssl_options=server_context(server_cert))
        port = listen(server)
        with pytest.raises(StreamClosedError) as info:
            await tls_connect(port, client_context(ca), server_hostname="example.com")
        error = info.value.real_error
        assert isinstance(error, ssl.SSLCertVerificationError)
        assert "mismatch" in error.verify_message.lower()
        # A context that does not check host names accepts the same certificate.
        relaxed = client_context(ca)
        relaxed.check_hostname = False
        client = await tls_connect(port, relaxed, server_hostname="example.com")
        await client.write(b"ok\n")
        assert await client.read_until(b"\n") == b"ok\n"
        client.close()
        server.stop()

    run(main)


def test_client_certificate_required(
    ca: trustme.CA, server_cert: trustme.LeafCert, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        context = server_context(server_cert)
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)
        server = EchoServer(ssl_options=context)
        port = listen(server)

        # With a certificate from the trusted CA: accepted, and the server sees it.
        with_cert = client_context(ca)
        ca.issue_cert("client.example").configure_cert(with_cert)
        client = await tls_connect(port, with_cert)
        await client.write(b"me\n")
        assert await client.read_until(b"\n") == b"me\n"
        (stream,) = server.streams
        assert isinstance(stream, SSLIOStream)
        peer = stream.get_ssl_certificate()
        assert isinstance(peer, dict)
        assert ("DNS", "client.example") in peer["subjectAltName"]
        client.close()
        assert not [r for r in caplog.records if "SSL" in r.getMessage()]

        # Without one: the server refuses. In TLS 1.3 the client's side of the
        # handshake finishes first, so the refusal arrives on the first read. asyncio
        # closes without sending the TLS alert, so the client sees a plain close.
        bare = SSLIOStream(socket.socket(), ssl_options=client_context(ca))
        with pytest.raises(StreamClosedError):
            await bare.connect(("127.0.0.1", port), server_hostname="localhost")
            await bare.write(b"anyone?\n")
            await bare.read_until(b"\n")
        assert bare.closed()
        await asyncio.sleep(0.05)
        assert len(server.streams) == 1  # no handler for the refused connection
        server.stop()

    run(main)
    (record,) = [r for r in caplog.records if "SSL" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "certificate" in record.getMessage().lower()


def test_sni_server_sees_the_name(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    async def main() -> None:
        seen: list[str | None] = []
        context = server_context(server_cert)

        def sni(ssl_object: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
            seen.append(name)

        context.sni_callback = sni
        server = EchoServer(ssl_options=context)
        port = listen(server)
        client = await tls_connect(port, client_context(ca), server_hostname="localhost")
        client.close()
        # connect() without server_hostname sends the address's host name.
        named = SSLIOStream(socket.socket(), ssl_options=client_context(ca))
        await named.connect(("localhost", port))
        named.close()
        assert seen == ["localhost", "localhost"]
        server.stop()

    run(main)


def test_alpn_negotiation(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    async def main() -> None:
        context = server_context(server_cert)
        context.set_alpn_protocols(["h2", "http/1.1"])
        server = EchoServer(ssl_options=context)
        port = listen(server)

        offer = client_context(ca)
        offer.set_alpn_protocols(["http/1.1", "squall/1"])
        client = await tls_connect(port, offer)
        assert client.selected_alpn_protocol() == "http/1.1"
        await until(lambda: len(server.streams) == 1)
        stream = server.streams[0]
        assert isinstance(stream, SSLIOStream)
        assert stream.selected_alpn_protocol() == "http/1.1"  # readable in handle_stream
        client.close()

        silent = await tls_connect(port, client_context(ca))  # offers nothing
        assert silent.selected_alpn_protocol() is None
        silent.close()

        before = SSLIOStream(socket.socket(), ssl_options=offer)
        assert before.selected_alpn_protocol() is None  # no handshake yet
        before.close()
        server.stop()

    run(main)


def test_failed_handshake_logged_once_without_traceback(
    server_cert: trustme.LeafCert, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        server = EchoServer(ssl_options=server_context(server_cert))
        port = listen(server)
        # A plain-text client talking to the TLS server.
        plain = IOStream(socket.socket())
        await plain.connect(("127.0.0.1", port))
        await plain.write(b"GET / HTTP/1.0\r\n\r\n")
        await plain.read_until_close()
        assert plain.closed()
        await asyncio.sleep(0.05)
        assert server.streams == []
        server.stop()

    run(main)
    ssl_records = [r for r in caplog.records if "SSL" in r.getMessage()]
    assert len(ssl_records) == 1, [r.getMessage() for r in caplog.records]
    (record,) = ssl_records
    assert record.name == "squall.general"
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "127.0.0.1:" in record.getMessage()
    message = record.getMessage().lower()
    assert "http request" in message or "wrong version number" in message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_client_handshake_against_plain_server(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    class Garbage(TCPServer):
        async def handle_stream(self, stream: IOStream, address: Any) -> None:
            await stream.write(b"this is not TLS\r\n" * 20)
            stream.close()

    async def main() -> None:
        server = Garbage()
        port = listen(server)
        client = SSLIOStream(socket.socket(), ssl_options=client_context(None))
        with pytest.raises(StreamClosedError) as info:
            await client.connect(("127.0.0.1", port), server_hostname="localhost")
        assert isinstance(info.value.real_error, ssl.SSLError)
        assert client.error is info.value.real_error
        server.stop()

    run(main)
    records = [r for r in caplog.records if "SSL" in r.getMessage()]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert records[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_peer_hanging_up_mid_handshake_is_quiet(
    server_cert: trustme.LeafCert, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        server = EchoServer(ssl_options=server_context(server_cert))
        port = listen(server)
        with socket.create_connection(("127.0.0.1", port)):
            pass  # connect and close without a ClientHello
        await asyncio.sleep(0.1)
        assert server.streams == []
        server.stop()

    run(main)
    records = [r for r in caplog.records if "SSL" in r.getMessage()]
    assert len(records) <= 1
    assert all(r.levelno == logging.DEBUG and r.exc_info is None for r in records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_connected_client_socket_needs_a_host_name(ca: trustme.CA) -> None:
    async def main() -> None:
        a, b = socket.socketpair()
        with pytest.raises(ValueError, match="server_hostname"):
            SSLIOStream(a, ssl_options=client_context(ca))
        a.close()
        b.close()

    run(main)
