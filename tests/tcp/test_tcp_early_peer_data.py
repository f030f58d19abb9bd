"""Peers that talk (or hang up) before squall's transport is set up.

uvloop delivers a new transport's first reads before ``connect_accepted_socket``
returns, and starts reading after ``connection_made`` even if it paused reading
there; asyncio does neither. Both loops must give the same results (the suite runs on
uvloop with ``SQUALL_TEST_LOOP=uvloop``).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable

import trustme

from squall.iostream import IOStream, SSLIOStream


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)
        await asyncio.sleep(0.02)  # let TLS shutdowns finish before the loop closes

    asyncio.run(wrapper())


def greeting_server(greeting: bytes, count: int) -> tuple[socket.socket, threading.Thread]:
    """A listener whose thread accepts ``count`` connections, says ``greeting``, hangs up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(count)

    def serve() -> None:
        for _ in range(count):
            conn, _ = listener.accept()
            with conn:
                conn.sendall(greeting)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_connect_resolves_when_the_peer_talks_and_hangs_up_at_once() -> None:
    rounds = 20
    listener, thread = greeting_server(b"220 hello\r\n", rounds)

    async def main() -> None:
        for _ in range(rounds):
            stream = IOStream(socket.socket())
            # The connection was made: connect succeeds even if the greeting and the
            # EOF are already there, and the greeting is not lost (Tornado's behaviour).
            assert await stream.connect(listener.getsockname()) is stream
            assert await stream.read_until_close() == b"220 hello\r\n"
            assert stream.closed()

    try:
        run(main)
    finally:
        thread.join(5)
        listener.close()


def test_connect_resolves_when_the_peer_hangs_up_silently() -> None:
    listener, thread = greeting_server(b"", 5)

    async def main() -> None:
        for _ in range(5):
            stream = IOStream(socket.socket())
            await stream.connect(listener.getsockname())
            assert await stream.read_until_close() == b""

    try:
        run(main)
    finally:
        thread.join(5)
        listener.close()


def test_server_side_tls_stream_keeps_a_client_hello_sent_early() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    answers: list[bytes] = []

    def client() -> None:
        with socket.create_connection(listener.getsockname(), timeout=5) as raw:  # noqa: SIM117
            with client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"ping\n")
                answers.append(tls.recv(64))

    thread = threading.Thread(target=client, daemon=True)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        thread.start()
        conn, _ = await loop.run_in_executor(None, listener.accept)
        await asyncio.sleep(0.1)  # the ClientHello now waits in the kernel
        stream = SSLIOStream(conn, ssl_options=server_ctx, server_side=True)
        await stream.wait_for_handshake()
        line = await stream.read_until(b"\n")
        await stream.write(line.upper())
        await loop.run_in_executor(None, thread.join, 5)
        stream.close()

    try:
        run(main)
    finally:
        listener.close()
    assert answers == [b"PING\n"]
