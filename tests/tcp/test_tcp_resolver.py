"""squall.netutil resolvers: every implementation, IDNA encoding, OverrideResolver."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.netutil import (
    BlockingResolver,
    DefaultExecutorResolver,
    DefaultLoopResolver,
    ExecutorResolver,
    OverrideResolver,
    Resolver,
    ThreadedResolver,
)
from squall.netutil._idna import encode_host

LOOPBACK = {"127.0.0.1", "::1"}
# "localhost" in full-width letters: UTS 46 maps it back, no DNS needed.
FULLWIDTH_LOCALHOST = "".join(chr(ord(c) + 0xFEE0) for c in "localhost")


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


def make_resolvers() -> list[Resolver]:
    pool = concurrent.futures.ThreadPoolExecutor(2)
    return [
        DefaultLoopResolver(),
        DefaultExecutorResolver(),
        ExecutorResolver(executor=pool),
        ExecutorResolver(),
        BlockingResolver(),
        ThreadedResolver(),
    ]


@pytest.mark.parametrize("index", range(6))
def test_every_resolver_resolves_literals_and_localhost(index: int) -> None:
    async def main() -> None:
        resolvers = make_resolvers()
        resolver = resolvers[index]
        try:
            result = await resolver.resolve("127.0.0.1", 8080)
            assert result == [(socket.AF_INET, ("127.0.0.1", 8080))]
            if ipv6_available():
                result = await resolver.resolve("::1", 80, socket.AF_INET6)
                assert result == [(socket.AF_INET6, ("::1", 80, 0, 0))]
            result = await resolver.resolve("localhost", 443)
            assert result
            assert {address[0] for _, address in result} <= LOOPBACK
            assert all(address[1] == 443 for _, address in result)
            result = await resolver.resolve("localhost", 443, socket.AF_INET)
            assert result == [(socket.AF_INET, ("127.0.0.1", 443))]
            # IDNA: UTS 46 maps full-width letters to "localhost", no DNS involved.
            result = await resolver.resolve(FULLWIDTH_LOCALHOST, 1, socket.AF_INET)
            assert result == [(socket.AF_INET, ("127.0.0.1", 1))]
            for bad in ("a\u200db.example", "\u2603.example", "-b\u00fccher.example"):
                with pytest.raises(socket.gaierror, match="invalid host name"):
                    await resolver.resolve(bad, 80)
        finally:
            for r in resolvers:
                r.close()

    run(main)


def test_resolver_is_configurable() -> None:
    saved = Resolver._save_configuration()
    try:
        assert type(Resolver()) is DefaultLoopResolver
        Resolver.configure("squall.netutil.BlockingResolver")
        resolver = Resolver()
        assert type(resolver) is BlockingResolver
        Resolver.configure(ThreadedResolver, num_threads=3)
        threaded = Resolver()
        assert isinstance(threaded, ThreadedResolver)
        assert threaded.executor is ThreadedResolver()._create_threadpool(1)
        with pytest.raises(ValueError):
            Resolver.configure(int)  # type: ignore[arg-type]
    finally:
        Resolver._restore_configuration(saved)
    assert type(Resolver()) is DefaultLoopResolver


def test_executor_resolver_close() -> None:
    async def main() -> None:
        pool = concurrent.futures.ThreadPoolExecutor(1)
        shared = ExecutorResolver(executor=pool, close_executor=False)
        shared.close()
        assert pool.submit(lambda: 7).result() == 7  # not shut down
        owned = ExecutorResolver(executor=pool)
        owned.close()
        with pytest.raises(RuntimeError):
            pool.submit(lambda: 7)
        with pytest.raises(RuntimeError, match="closed"):
            await owned.resolve("127.0.0.1", 80)

    run(main)


class RecordingResolver(Resolver):
    def initialize(self) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        self.calls.append((host, port, family))
        return [(socket.AF_INET, (host, port))]

    def close(self) -> None:
        self.closed = True


def test_override_resolver_mapping_forms() -> None:
    async def main() -> None:
        inner = RecordingResolver()
        resolver = OverrideResolver(
            resolver=inner,
            mapping={
                "example.com": "127.0.1.1",
                ("login.example.com", 443): ("localhost", 1443),
                ("login.example.com", 443, socket.AF_INET6): ("::1", 1444),
            },
        )
        await resolver.resolve("example.com", 80)
        await resolver.resolve("login.example.com", 443)
        await resolver.resolve("login.example.com", 443, socket.AF_INET6)
        await resolver.resolve("login.example.com", 80)
        await resolver.resolve("other.example", 80)
        assert inner.calls == [
            ("127.0.1.1", 80, socket.AF_UNSPEC),
            ("localhost", 1443, socket.AF_UNSPEC),
            ("::1", 1444, socket.AF_INET6),
            ("login.example.com", 80, socket.AF_UNSPEC),
            ("other.example", 80, socket.AF_UNSPEC),
        ]
        resolver.close()
        assert inner.closed

    run(main)


def test_override_resolver_over_the_default_one() -> None:
    async def main() -> None:
        resolver = OverrideResolver(Resolver(), {"service.test": "127.0.0.1"})
        assert await resolver.resolve("service.test", 5) == [(socket.AF_INET, ("127.0.0.1", 5))]
        resolver.close()

    run(main)


def test_encode_host_idna2008() -> None:
    assert encode_host("example.com") == "example.com"
    assert encode_host("_srv._tcp.example") == "_srv._tcp.example"  # ASCII: untouched
    assert encode_host("faß.de") == "xn--fa-hia.de"  # IDNA 2003 would say fass.de
    assert encode_host("Bücher。Example") == "xn--bcher-kva.example"
    assert encode_host("bücher.example.") == "xn--bcher-kva.example."
    with pytest.raises(socket.gaierror) as info:
        encode_host("\u2603.net")
    assert info.value.errno == socket.EAI_NONAME
    assert "'\u2603.net'" in str(info.value)


@given(st.text(max_size=40))
def test_encode_host_returns_ascii_or_gaierror(host: str) -> None:
    try:
        encoded = encode_host(host)
    except socket.gaierror as e:
        assert e.errno == socket.EAI_NONAME
        return
    assert encoded.isascii()
    if host.isascii():
        assert encoded == host
