"""TLS on existing connections: IOStream.start_tls both ways, SSLIOStream on connected sockets.

Also closing and cancelling while a handshake runs, and netutil.ssl_wrap_socket.
Real loopback sockets; certificates from trustme.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trustme
from squall_test_support import tcp_pair

from squall.iostream import IOStream, SSLIOStream, StreamClosedError
from squall.netutil import ssl_wrap_socket
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
def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    return context


async def recv_until_eof(sock: socket.socket) -> bytes:
    """Read everything the peer sends until it closes (without blocking the loop)."""
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    chunks = []
    while chunk := await loop.sock_recv(sock, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


class StartTLSServer(TCPServer):
    """A toy STARTTLS protocol: plain greeting, upgrade on request, then echo."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self.context = context
        self.tls_streams: list[SSLIOStream] = []
        self.closed_callbacks = 0

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        stream.set_close_callback(self.on_close)
        await stream.write(b"220 hello\r\n")
        assert await stream.read_until(b"\r\n") == b"STARTTLS\r\n"
        await stream.write(b"220 go ahead\r\n")
        tls = await stream.start_tls(server_side=True, ssl_options=self.context)
        assert stream.closed()  # detached
        self.tls_streams.append(tls)
        try:
            while True:
                await tls.write(await tls.read_until(b"\n"))
        except StreamClosedError:
            pass

    def on_close(self) -> None:
        self.closed_callbacks += 1


def test_start_tls_client_and_server(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async def main() -> None:
        server = StartTLSServer(server_ctx)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        server.add_socket(sock)
        client = IOStream(socket.socket())
        await client.connect(sock.getsockname())
        assert await client.read_until(b"\r\n") == b"220 hello\r\n"
        await client.write(b"STARTTLS\r\n")
        assert await client.read_until(b"\r\n") == b"220 go ahead\r\n"
        closed = asyncio.Event()
        client.set_close_callback(closed.set)
        tls = await client.start_tls(False, client_ctx, server_hostname="localhost")
        assert isinstance(tls, SSLIOStream)
        assert client.closed()
        assert not closed.is_set()  # detaching does not run the close callback
        await tls.write(b"secret\n")
        assert await tls.read_until(b"\n") == b"secret\n"
        (server_tls,) = server.tls_streams
        assert server_tls.wait_for_handshake().done()
        tls.close()
        await asyncio.wait_for(closed.wait(), 5)  # the callback moved to the TLS stream
        for _ in range(100):
            if server.closed_callbacks:
                break
            await asyncio.sleep(0.01)
        assert server.closed_callbacks == 1
        server.stop()

    run(main)


def test_start_tls_refused_when_not_idle(client_ctx: ssl.SSLContext) -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            b.sendall(b"early")
            assert await stream.read_bytes(2) == b"ea"
            with pytest.raises(ValueError, match="not idle"):
                stream.start_tls(False, client_ctx, server_hostname="localhost")  # buffered
            assert await stream.read_bytes(3) == b"rly"
            read = stream.read_bytes(1)
            with pytest.raises(ValueError, match="not idle"):
                stream.start_tls(False, client_ctx, server_hostname="localhost")  # reading
            b.sendall(b"!")
            assert await read == b"!"
            with pytest.raises(ValueError, match="server_hostname"):
                stream.start_tls(False, client_ctx)  # the context checks host names
            assert not stream.closed()  # a refused start_tls leaves the stream usable
        stream.close()

    run(main)


def test_sslio_stream_on_connected_sockets(
    ca: trustme.CA, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async def main() -> None:
        a, b = tcp_pair()
        # The side is inferred from the context (PROTOCOL_TLS_SERVER).
        server = SSLIOStream(a, ssl_options=server_ctx)
        client = SSLIOStream(b, ssl_options=client_ctx, server_hostname="localhost")
        # I/O issued before the handshake waits for it.
        write = client.write(b"before handshake\n")
        read = server.read_until(b"\n")
        assert client.writing()
        assert await server.wait_for_handshake() is server
        assert await client.wait_for_handshake() is client
        await write
        assert await read == b"before handshake\n"
        server.close()
        assert await client.read_until_close() == b""
        client.close()

    run(main)


def test_sslio_stream_accepts_tornado_style_wrapped_socket(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    async def main() -> None:
        a, b = tcp_pair()
        wrapped_server = server_ctx.wrap_socket(a, server_side=True, do_handshake_on_connect=False)
        wrapped_client = ssl_wrap_socket(
            b, client_ctx, server_hostname="localhost", do_handshake_on_connect=False
        )
        assert isinstance(wrapped_client, ssl.SSLSocket)
        assert not wrapped_client.server_side
        server = SSLIOStream(wrapped_server)
        client = SSLIOStream(wrapped_client)
        await asyncio.gather(server.wait_for_handshake(), client.wait_for_handshake())
        await client.write(b"ping\n")
        assert await server.read_until(b"\n") == b"ping\n"
        client.close()
        server.close()

    run(main)


def test_ssl_wrap_socket_dict_and_server_side(ca: trustme.CA, tmp_path: Any) -> None:
    cert = ca.issue_cert("localhost")
    certfile = tmp_path / "cert.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    with socket.socket() as raw:
        wrapped = ssl_wrap_socket(
            raw, {"certfile": str(certfile)}, server_side=True, do_handshake_on_connect=False
        )
        with wrapped:
            assert wrapped.server_side
            assert wrapped.context.protocol == ssl.PROTOCOL_TLS_SERVER
    with socket.socket() as raw:
        wrapped = ssl_wrap_socket(raw, {"cert_reqs": ssl.CERT_NONE})
        with wrapped:
            assert not wrapped.server_side
            assert wrapped.context.verify_mode == ssl.CERT_NONE
    with socket.socket() as raw, pytest.raises(ValueError):
        ssl_wrap_socket(raw, {"bogus": 1})


def test_close_during_handshake(client_ctx: ssl.SSLContext) -> None:
    async def main() -> None:
        # A peer that accepts but never answers the ClientHello.
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            listener.setblocking(False)
            stream = SSLIOStream(socket.socket(), ssl_options=client_ctx)
            connect = stream.connect(listener.getsockname(), server_hostname="localhost")
            peer, _ = await asyncio.get_running_loop().sock_accept(listener)
            with peer:
                await asyncio.sleep(0.05)
                assert not connect.done()
                write = stream.write(b"queued")
                stream.close()
                with pytest.raises(StreamClosedError):
                    await connect
                with pytest.raises(StreamClosedError):
                    await write
                with pytest.raises(StreamClosedError):
                    await stream.wait_for_handshake()
                data = await recv_until_eof(peer)
                assert data[:1] == b"\x16"  # the ClientHello, then EOF
                assert b"queued" not in data

    run(main)


def test_cancelling_start_tls_closes_the_new_stream(client_ctx: ssl.SSLContext) -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            with pytest.raises(ValueError, match="not connected yet"):
                stream.start_tls(False, client_ctx, server_hostname="localhost")
            await asyncio.sleep(0.01)  # the transport is set up
            future = stream.start_tls(False, client_ctx, server_hostname="localhost")
            await asyncio.sleep(0.02)
            future.cancel()
            data = await recv_until_eof(b)  # the ClientHello, then EOF: socket closed
            assert data[:1] == b"\x16"  # a TLS handshake record
            assert stream.closed()

    run(main)


def test_close_right_after_start_tls_before_the_task_runs(client_ctx: ssl.SSLContext) -> None:
    async def main() -> None:
        a, b = tcp_pair()
        stream = IOStream(a)
        with b:
            await asyncio.sleep(0.01)  # the transport is set up
            future = stream.start_tls(False, client_ctx, server_hostname="localhost")
            future.cancel()  # before the handshake task even started
            assert await recv_until_eof(b) == b""

    run(main)
