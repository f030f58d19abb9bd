"""Closing a TLS stream releases its socket without waiting for the peer.

asyncio's TLS transport closes in the background: it sends close_notify and then
waits (up to 30 seconds) for the peer's. A program that closes its stream and ends
its loop right away (a peer that is slow to answer, or never does) must not leave
the plain transport and its socket behind.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import sys
import threading
import warnings
from typing import Any

import trustme

from squall.iostream import SSLIOStream


def silent_tls_peer(context: ssl.SSLContext) -> tuple[int, threading.Event, threading.Thread]:
    """A TLS server that answers one line, then neither reads nor closes until told."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    done = threading.Event()

    def serve() -> None:
        with listener:
            raw, _ = listener.accept()
        with context.wrap_socket(raw, server_side=True) as conn:
            line = b""
            while not line.endswith(b"\n"):
                line += conn.recv(100)
            conn.sendall(line)
            done.wait(5)  # never answers close_notify while the client's loop runs

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], done, thread


def test_close_then_loop_end_leaks_nothing() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_ctx)
    port, done, thread = silent_tls_peer(server_ctx)

    async def main() -> None:
        client = SSLIOStream(socket.socket(), ssl_options=client_ctx)
        await client.connect(("127.0.0.1", port), server_hostname="127.0.0.1")
        await client.write(b"hi\n")
        assert await client.read_until(b"\n") == b"hi\n"
        client.close()  # then the loop ends at once, the peer still silent

    unraisable: list[Any] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asyncio.run(main())
            gc.collect()
    finally:
        sys.unraisablehook = old_hook
        done.set()
        thread.join(5)
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, leaks
    assert not unraisable, [str(u.exc_value) for u in unraisable]
