"""TCPServer over real loopback sockets."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from squall.iostream import IOStream, StreamClosedError
from squall.netutil import bind_sockets, bind_unix_socket
from squall.tcpserver import TCPServer


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


class EchoServer(TCPServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.streams: list[IOStream] = []
        self.addresses: list[Any] = []

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        self.streams.append(stream)
        self.addresses.append(address)
        try:
            while True:
                line = await stream.read_until(b"\n", max_bytes=1024)
                await stream.write(line)
        except StreamClosedError:
            pass


async def connect(port: int, host: str = "127.0.0.1") -> IOStream:
    stream = IOStream(socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET))
    return await stream.connect((host, port))


def test_echo_many_clients() -> None:
    async def main() -> None:
        server = EchoServer()
        sockets = bind_sockets(0, "127.0.0.1")
        port = sockets[0].getsockname()[1]
        server.add_sockets(sockets)
        clients = [await connect(port) for _ in range(5)]
        for i, client in enumerate(clients):
            await client.write(b"line %d\n" % i)
        for i, client in enumerate(clients):
            assert await client.read_until(b"\n") == b"line %d\n" % i
        assert len(server.addresses) == 5
        assert all(a[0] == "127.0.0.1" for a in server.addresses)
        # An over-long line: the server's read is unsatisfiable and it closes.
        await clients[0].write(b"x" * 5000)
        assert await clients[0].read_until_close() == b""
        for client in clients:
            client.close()
        server.stop()

    run(main)


def test_listen_and_stop_keeps_accepted_streams() -> None:
    async def main() -> None:
        server = EchoServer()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server.listen(port, "127.0.0.1")
        client = await connect(port)
        await client.write(b"a\n")
        assert await client.read_until(b"\n") == b"a\n"
        server.stop()
        server.stop()
        await asyncio.sleep(0.01)
        # Existing connection still served.
        await client.write(b"b\n")
        assert await client.read_until(b"\n") == b"b\n"
        # New connections are refused.
        with pytest.raises(StreamClosedError) as info:
            await connect(port)
        assert isinstance(info.value.real_error, ConnectionRefusedError)
        client.close()

    run(main)


def test_stop_before_loop_ran_the_listener() -> None:
    async def main() -> None:
        server = EchoServer()
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        server.stop()  # the create_server task has not run yet
        assert sockets[0].fileno() == -1
        await asyncio.sleep(0.01)

    run(main)


def test_handle_stream_exceptions_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(TCPServer):
        def __init__(self, sync: bool) -> None:
            super().__init__()
            self.sync = sync

        def handle_stream(self, stream: IOStream, address: Any) -> Awaitable[None] | None:
            if self.sync:
                raise ZeroDivisionError("sync")
            return self._later(stream)

        async def _later(self, stream: IOStream) -> None:
            await stream.read_bytes(1)
            raise KeyError("async")

    async def main() -> None:
        for sync in (True, False):
            server = Broken(sync)
            sockets = bind_sockets(0, "127.0.0.1")
            server.add_sockets(sockets)
            try:
                client = await connect(sockets[0].getsockname()[1])
                try:
                    if not sync:  # the sync handler closes at once: a write could race it
                        await client.write(b"!")
                    # The server closes the connection after logging.
                    assert await client.read_until_close() == b""
                finally:
                    client.close()
            finally:
                server.stop()  # an unclosed uvloop server would hang loop.close()

    with caplog.at_level(logging.ERROR):
        run(main)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["squall.application"] * 2
    assert [r.exc_info[0] for r in errors if r.exc_info] == [ZeroDivisionError, KeyError]


def test_base_handle_stream_not_implemented() -> None:
    with pytest.raises(NotImplementedError):
        TCPServer().handle_stream(None, None)  # type: ignore[arg-type]


def test_bind_and_start() -> None:
    async def main() -> None:
        server = EchoServer()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server.bind(port, "127.0.0.1")
        with pytest.raises(NotImplementedError):
            server.start(2)
        server.start()
        with pytest.raises(RuntimeError):
            server.start()
        client = await connect(port)
        await client.write(b"z\n")
        assert await client.read_until(b"\n") == b"z\n"
        client.close()
        server.stop()

    run(main)


def test_unix_socket_server(tmp_path: Any) -> None:
    async def main() -> None:
        server = EchoServer()
        path = str(tmp_path / "echo.sock")
        server.add_socket(bind_unix_socket(path))
        sock = socket.socket(socket.AF_UNIX)
        client = await IOStream(sock).connect(path)
        await client.write(b"unix\n")
        assert await client.read_until(b"\n") == b"unix\n"
        assert server.addresses == [""]
        client.close()
        server.stop()

    run(main)


def test_ipv6_server() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        sockets = bind_sockets(0, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback")

    async def main() -> None:
        server = EchoServer()
        server.add_sockets(sockets)
        client = await connect(sockets[0].getsockname()[1], "::1")
        await client.write(b"six\n")
        assert await client.read_until(b"\n") == b"six\n"
        client.close()
        server.stop()

    run(main)


def test_ssl_options(tmp_path: Any) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    certfile = tmp_path / "cert.pem"
    keyfile = tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    with pytest.raises(KeyError):
        TCPServer(ssl_options={"keyfile": str(keyfile)})
    with pytest.raises(ValueError):
        TCPServer(ssl_options={"certfile": str(tmp_path / "missing.pem")})

    async def main() -> None:
        server = EchoServer(ssl_options={"certfile": str(certfile), "keyfile": str(keyfile)})
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1",
            sockets[0].getsockname()[1],
            ssl=client_ctx,
            server_hostname="localhost",
        )
        writer.write(b"secret\n")
        assert await reader.readline() == b"secret\n"
        writer.close()
        await writer.wait_closed()
        server.stop()

    run(main)
