"""squall.netutil and squall.process: real sockets, no mocks."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.netutil import (
    add_accept_handler,
    bind_sockets,
    bind_unix_socket,
    is_valid_ip,
    ssl_options_to_context,
)
from squall.process import cpu_count


def ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_bind_ipv4() -> None:
    sockets = bind_sockets(0, "127.0.0.1")
    try:
        assert len(sockets) == 1
        sock = sockets[0]
        assert sock.family == socket.AF_INET
        assert sock.getsockname()[0] == "127.0.0.1"
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        assert not sock.getblocking()
        # It is listening: a client can connect.
        with socket.create_connection(sock.getsockname(), timeout=5):
            pass
    finally:
        for s in sockets:
            s.close()


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")
def test_bind_ipv6_v6only() -> None:
    sockets = bind_sockets(0, "::1", family=socket.AF_INET6)
    try:
        assert [s.family for s in sockets] == [socket.AF_INET6]
        assert sockets[0].getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
    finally:
        for s in sockets:
            s.close()


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")
def test_bind_all_families_share_one_port() -> None:
    sockets = bind_sockets(0, None)
    try:
        families = sorted(s.family for s in sockets)
        assert socket.AF_INET in families and socket.AF_INET6 in families
        assert len({s.getsockname()[1] for s in sockets}) == 1
    finally:
        for s in sockets:
            s.close()


def test_bind_localhost_and_in_use() -> None:
    sockets = bind_sockets(0, "localhost")
    try:
        assert sockets
        port = sockets[0].getsockname()[1]
        assert len({s.getsockname()[1] for s in sockets}) == 1
        with pytest.raises(OSError):
            bind_sockets(port, "127.0.0.1")
    finally:
        for s in sockets:
            s.close()


def test_reuse_port() -> None:
    if not hasattr(socket, "SO_REUSEPORT"):
        with pytest.raises(ValueError):
            bind_sockets(0, "127.0.0.1", reuse_port=True)
        return
    first = bind_sockets(0, "127.0.0.1", reuse_port=True)
    port = first[0].getsockname()[1]
    second = bind_sockets(port, "127.0.0.1", reuse_port=True)
    for s in first + second:
        s.close()


def test_bind_unix_socket(tmp_path: Any) -> None:
    path = str(tmp_path / "s.sock")
    sock = bind_unix_socket(path, mode=0o640)
    try:
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
    finally:
        sock.close()
    # A stale socket file is replaced.
    bind_unix_socket(path).close()
    regular = tmp_path / "file"
    regular.write_text("not a socket")
    with pytest.raises(ValueError):
        bind_unix_socket(str(regular))


def test_is_valid_ip() -> None:
    for good in ("127.0.0.1", "::1", "4.4.4.4", "2620:0:1cfe:face:b00c::3"):
        assert is_valid_ip(good), good
    for bad in ("", "www.google.com", "localhost", "4.4.4.4<", " 127.0.0.1", "\x00", "1" * 1000):
        assert not is_valid_ip(bad), bad


@given(st.text(max_size=60))
def test_is_valid_ip_agrees_with_ipaddress(text: str) -> None:
    result = is_valid_ip(text)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return  # getaddrinfo is more lenient (e.g. "1" or "127.1"); only check one way
    assert result


@given(st.ip_addresses())
def test_is_valid_ip_accepts_every_address(address: Any) -> None:
    assert is_valid_ip(str(address))


def test_add_accept_handler() -> None:
    async def main() -> None:
        sockets = bind_sockets(0, "127.0.0.1")
        listener = sockets[0]
        accepted: list[socket.socket] = []
        done = asyncio.Event()

        def on_accept(connection: socket.socket, address: Any) -> None:
            accepted.append(connection)
            assert address[0] == "127.0.0.1"
            if len(accepted) == 3:
                done.set()

        remove = add_accept_handler(listener, on_accept)
        clients = [socket.create_connection(listener.getsockname()) for _ in range(3)]
        await asyncio.wait_for(done.wait(), 5)
        remove()
        remove()
        extra = socket.create_connection(listener.getsockname())
        await asyncio.sleep(0.02)
        assert len(accepted) == 3
        for s in [*accepted, *clients, extra, listener]:
            s.close()

    asyncio.run(main())


def test_ssl_options_to_context() -> None:
    import ssl

    ctx = ssl.create_default_context()
    assert ssl_options_to_context(ctx) is ctx
    client = ssl_options_to_context({"cert_reqs": ssl.CERT_NONE}, server_side=False)
    assert client.verify_mode == ssl.CERT_NONE
    with pytest.raises(ValueError):
        ssl_options_to_context({"bogus": 1})


def test_cpu_count() -> None:
    n = cpu_count()
    assert isinstance(n, int) and n >= 1
