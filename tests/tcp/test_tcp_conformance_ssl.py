"""The stream conformance suite (squall.testing.streams) on SSLIOStream, both sides.

Pairs come from a TLS TCPServer plus SSLIOStream.connect (server and client
sides, each as sender and as receiver) and from IOStream.start_tls on both ends.
Certificates from trustme.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import Any

import pytest
import trustme

from squall.iostream import BaseIOStream, IOStream, SSLIOStream
from squall.tcpserver import TCPServer

# The suite is public API of squall-testing; the isolated tests(tcp) session
# installs squall-tcp alone, and tests/testing runs the suite there too.
suite = pytest.importorskip("squall.testing.streams")

_CA = trustme.CA()
SERVER_CTX = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
_CA.issue_cert("localhost").configure_cert(SERVER_CTX)
CLIENT_CTX = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
_CA.configure_trust(CLIENT_CTX)


class OneShot(TCPServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted: asyncio.Future[IOStream] = asyncio.get_running_loop().create_future()

    def handle_stream(self, stream: IOStream, address: Any) -> None:
        self.accepted.set_result(stream)


async def server_and_client(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    """(TCPServer's SSLIOStream, client SSLIOStream from connect)."""
    server = OneShot(ssl_options=SERVER_CTX, max_buffer_size=limits.get("max_buffer_size"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    server.add_socket(sock)
    client = SSLIOStream(socket.socket(), ssl_options=CLIENT_CTX, **limits)
    await client.connect(sock.getsockname(), server_hostname="localhost")
    accepted = await server.accepted
    server.stop()
    assert isinstance(accepted, SSLIOStream)
    accepted.max_write_buffer_size = limits.get("max_write_buffer_size")
    return accepted, client


async def start_tls_pair(**limits: Any) -> tuple[BaseIOStream, BaseIOStream]:
    """(server side, client side), both upgraded with IOStream.start_tls."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        b = socket.create_connection(listener.getsockname())
        a, _ = listener.accept()
    plain_a, plain_b = IOStream(a, **limits), IOStream(b, **limits)
    await asyncio.sleep(0.01)  # transports ready
    tls = await asyncio.gather(
        plain_a.start_tls(True, SERVER_CTX),
        plain_b.start_tls(False, CLIENT_CTX, server_hostname="localhost"),
    )
    return tls[0], tls[1]


FACTORIES = {
    "server-sends": server_and_client,
    "client-sends": suite.reversed_pair(server_and_client),
    "start_tls-server-sends": start_tls_pair,
    "start_tls-client-sends": suite.reversed_pair(start_tls_pair),
}


def run(check: Any, factory: Any) -> None:
    async def main() -> None:
        await asyncio.wait_for(check(factory), timeout=20)
        await asyncio.sleep(0.05)  # TLS shutdowns

    asyncio.run(main())


@pytest.mark.parametrize("factory", FACTORIES.values(), ids=list(FACTORIES))
@pytest.mark.parametrize("check", suite.ONE_WAY_CHECKS.values(), ids=list(suite.ONE_WAY_CHECKS))
def test_one_way(check: Any, factory: Any) -> None:
    run(check, factory)


@pytest.mark.parametrize(
    "factory", [server_and_client, start_tls_pair], ids=["server", "start_tls"]
)
@pytest.mark.parametrize("check", suite.TWO_WAY_CHECKS.values(), ids=list(suite.TWO_WAY_CHECKS))
def test_two_way(check: Any, factory: Any) -> None:
    run(check, factory)
