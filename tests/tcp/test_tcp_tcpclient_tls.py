"""TCPClient.connect with ssl_options, against a TLS TCPServer (certificates from trustme)."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import trustme

from squall.iostream import IOStream, SSLIOStream, StreamClosedError
from squall.netutil import OverrideResolver, Resolver, bind_sockets
from squall.tcpclient import TCPClient
from squall.tcpserver import TCPServer


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


class SniEchoServer(TCPServer):
    """Sends back the SNI name the client asked for, then echoes one line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors: list[BaseException] = []

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        try:
            line = await stream.read_until(b"\n")
            await stream.write(line)
        except StreamClosedError as e:
            self.errors.append(e)
        stream.close()


@contextmanager
def tls_server(context: ssl.SSLContext) -> Iterator[int]:
    server = SniEchoServer(ssl_options=context)
    sockets = bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    try:
        yield int(sockets[0].getsockname()[1])
    finally:
        server.stop()


def test_tls_connect_verifies_the_server_name(ca: trustme.CA) -> None:
    async def main() -> None:
        with tls_server(server_context(ca, "localhost", "xn--bcher-kva.example")) as port:
            client = TCPClient()
            stream = await client.connect("localhost", port, af=socket.AF_INET,
                                          ssl_options=client_context(ca))  # fmt: skip
            assert isinstance(stream, SSLIOStream)
            await stream.write(b"ping\n")
            assert await stream.read_until(b"\n") == b"ping\n"
            stream.close()
            # An IDNA name: SNI and the certificate check use the A-label.
            resolver = OverrideResolver(Resolver(), {"bücher.example": "127.0.0.1"})
            client2 = TCPClient(resolver)
            stream = await client2.connect("bücher.example", port, ssl_options=client_context(ca))
            await stream.write(b"idna\n")
            assert await stream.read_until(b"\n") == b"idna\n"
            stream.close()
            resolver.close()
            client.close()

    run(main)


def test_tls_connect_rejects_a_wrong_name_or_an_unknown_ca(ca: trustme.CA) -> None:
    async def main() -> None:
        with tls_server(server_context(ca, "other.example")) as port:
            client = TCPClient()
            with pytest.raises((ssl.SSLError, StreamClosedError)) as info:
                await client.connect("127.0.0.1", port, ssl_options=client_context(ca))
            error = info.value
            if isinstance(error, StreamClosedError):
                error = error.real_error  # type: ignore[assignment]
            assert isinstance(error, ssl.SSLCertVerificationError)
            assert "127.0.0.1" in str(error) or "mismatch" in str(error).lower()
        with tls_server(server_context(ca, "localhost")) as port:
            stranger = trustme.CA()
            with pytest.raises((ssl.SSLError, StreamClosedError)) as info:
                await client.connect(
                    "localhost", port, af=socket.AF_INET, ssl_options=client_context(stranger)
                )
            error = info.value
            if isinstance(error, StreamClosedError):
                error = error.real_error  # type: ignore[assignment]
            assert isinstance(error, ssl.SSLCertVerificationError)
            # A dict of ssl_options (Tornado style) works too.
            stream = await client.connect(
                "localhost",
                port,
                af=socket.AF_INET,
                ssl_options={"cert_reqs": ssl.CERT_NONE},
            )
            stream.close()
            client.close()

    run(main)


def test_tls_handshake_timeout(ca: trustme.CA) -> None:
    async def main() -> None:
        # A plain TCP listener that never answers the ClientHello.
        with socket.socket() as mute:
            mute.bind(("127.0.0.1", 0))
            mute.listen(5)
            port = mute.getsockname()[1]
            client = TCPClient()
            started = time.monotonic()
            with pytest.raises(TimeoutError, match=re.escape("TLS handshake with '127.0.0.1'")):
                await client.connect(
                    "127.0.0.1", port, ssl_options=client_context(ca), timeout=0.2
                )
            assert time.monotonic() - started < 0.8
            await asyncio.sleep(0.1)  # let the loop finish closing the attempt
            conn, _ = mute.accept()
            conn.settimeout(2)
            data = conn.recv(5)
            assert data[:1] == b"\x16"  # a TLS handshake record was sent ...
            try:
                rest = conn.recv(65536)
                while rest:
                    rest = conn.recv(65536)
            except ConnectionResetError:
                pass  # ... and the client went away after the timeout
            conn.close()
            client.close()

    run(main)
