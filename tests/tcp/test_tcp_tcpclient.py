"""TCPClient over real loopback sockets: happy eyeballs, timeouts, source address, IDNA."""

from __future__ import annotations

import asyncio
import datetime
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from squall.iostream import IOStream, StreamClosedError
from squall.netutil import OverrideResolver, Resolver, bind_sockets
from squall.tcpclient import TCPClient
from squall.tcpclient._eyeballs import interleave
from squall.tcpserver import TCPServer

V4, V6 = socket.AF_INET, socket.AF_INET6
# "localhost" in full-width letters: UTS 46 maps it back, no DNS needed.
FULLWIDTH_LOCALHOST = "".join(chr(ord(c) + 0xFEE0) for c in "localhost")


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


def ipv6_available() -> bool:
    try:
        with socket.socket(V6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")


@contextmanager
def blackhole(family: int = V4) -> Iterator[tuple[str, int]]:
    """An address whose SYNs are dropped: a listener whose accept queue is full.

    Linux drops a SYN when the listener's accept queue is full (and never
    accepts here), so a connect to it hangs, deterministically, on loopback.
    """
    host = "::1" if family == V6 else "127.0.0.1"
    listener = socket.socket(family)
    fillers: list[socket.socket] = []
    try:
        listener.bind((host, 0))
        listener.listen(0)
        address = listener.getsockname()[:2]
        for _ in range(16):
            filler = socket.socket(family)
            filler.setblocking(False)
            fillers.append(filler)
            with suppress(BlockingIOError):
                filler.connect(address)
            time.sleep(0.02)
            try:
                filler.getpeername()
            except OSError:
                break  # this one hangs in SYN-SENT: the queue is full
        else:
            pytest.skip("could not fill the accept queue")
        yield address
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def closed_port(family: int = V4) -> int:
    with socket.socket(family) as s:
        s.bind(("::1" if family == V6 else "127.0.0.1", 0))
        return int(s.getsockname()[1])


class HelloServer(TCPServer):
    """Answers every connection with the peer address it saw, then closes."""

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        await stream.write(f"{address[0]} {address[1]}\n".encode())
        stream.close()


@contextmanager
def hello_server(host: str = "127.0.0.1") -> Iterator[int]:
    server = HelloServer()
    sockets = bind_sockets(0, host)
    server.add_sockets(sockets)
    try:
        yield int(sockets[0].getsockname()[1])
    finally:
        server.stop()


class FixedResolver(Resolver):
    """Answers every lookup with a fixed list (the port is part of each address)."""

    def initialize(self, answers: list[tuple[int, Any]], delay: float = 0.0) -> None:
        self.answers = answers
        self.delay = delay

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        await asyncio.sleep(self.delay)
        return list(self.answers)


class RecordingClient(TCPClient):
    """Keeps every stream it starts, to check that the losers get closed."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        super().__init__(resolver)
        self.attempts: list[tuple[Any, IOStream]] = []

    def _create_stream(
        self,
        max_buffer_size: int | None,
        af: int,
        addr: Any,
        source_ip: str | None = None,
        source_port: int | None = None,
    ) -> tuple[IOStream, asyncio.Future[IOStream]]:
        stream, future = super()._create_stream(max_buffer_size, af, addr, source_ip, source_port)
        self.attempts.append((addr, stream))
        return stream, future


async def greeting(stream: IOStream) -> str:
    line = await stream.read_until(b"\n")
    stream.close()
    return line.decode().strip()


def test_interleave_alternates_families_starting_with_the_first() -> None:
    a6, b6, c6 = ((V6, (h, 1, 0, 0)) for h in ("::a", "::b", "::c"))
    a4, b4 = ((V4, (h, 1)) for h in ("10.0.0.1", "10.0.0.2"))
    assert interleave([a6, b6, c6, a4, b4]) == [a6, a4, b6, b4, c6]
    assert interleave([a4, a6, b6, b4]) == [a4, a6, b4, b6]
    assert interleave([a4, b4]) == [a4, b4]
    assert interleave([]) == []


def test_connect_by_address_and_by_name() -> None:
    async def main() -> None:
        client = TCPClient()
        with hello_server() as port:
            stream = await client.connect("127.0.0.1", port)
            assert isinstance(stream, IOStream)
            assert (await greeting(stream)).startswith("127.0.0.1 ")
            # "localhost" may put ::1 first: refused there, then 127.0.0.1 at once.
            started = time.monotonic()
            stream = await client.connect("localhost", port)
            assert time.monotonic() - started < 0.25
            assert (await greeting(stream)).startswith("127.0.0.1 ")
            stream = await client.connect("localhost", port, af=V4, max_buffer_size=1024)
            assert stream.max_buffer_size == 1024
            stream.close()
        client.close()

    run(main)


def test_connect_through_override_resolver() -> None:
    async def main() -> None:
        with hello_server() as port:
            resolver = OverrideResolver(Resolver(), {("db.internal", 5432): ("127.0.0.1", port)})
            client = TCPClient(resolver=resolver)
            assert (await greeting(await client.connect("db.internal", 5432))).startswith(
                "127.0.0.1"
            )
            client.close()  # not ours: the resolver stays usable
            assert await resolver.resolve("127.0.0.1", 1) == [(V4, ("127.0.0.1", 1))]
            resolver.close()

    run(main)


def test_happy_eyeballs_falls_back_after_300ms_and_closes_the_loser() -> None:
    family = V6 if ipv6_available() else V4

    async def main() -> None:
        with blackhole(family) as dead, hello_server() as port:
            dead_addr = (*dead, 0, 0) if family == V6 else dead
            resolver = FixedResolver([(family, dead_addr), (V4, ("127.0.0.1", port))])
            client = RecordingClient(resolver)
            started = time.monotonic()
            stream = await client.connect("dual.test", 80)
            elapsed = time.monotonic() - started
            assert 0.25 <= elapsed < 0.9, elapsed
            assert (await greeting(stream)).startswith("127.0.0.1 ")
            assert [addr for addr, _ in client.attempts] == [dead_addr, ("127.0.0.1", port)]
            loser = client.attempts[0][1]
            assert loser.closed()
            await asyncio.sleep(0.01)  # the cancelled connect task lets go of the socket
            assert loser.fileno() == -1

    run(main)


@needs_ipv6
def test_happy_eyeballs_ipv6_first_ipv4_wins() -> None:
    async def main() -> None:
        with blackhole(V6) as dead, hello_server() as port:
            # The resolver lists IPv4 second; interleaving still tries it second.
            resolver = FixedResolver([(V6, (*dead, 0, 0)), (V6, ("::1", 9, 0, 0)),
                                      (V4, ("127.0.0.1", port))])  # fmt: skip
            client = RecordingClient(resolver)
            stream = await client.connect("dual.test", 80)
            assert (await greeting(stream)).startswith("127.0.0.1 ")
            assert [a[0] for a, _ in client.attempts] == ["::1", "127.0.0.1"]

    run(main)


def test_refused_attempt_starts_the_next_at_once() -> None:
    async def main() -> None:
        with hello_server() as port:
            answers = [(V4, ("127.0.0.1", closed_port())), (V4, ("127.0.0.1", port))]
            client = TCPClient(FixedResolver(answers))
            started = time.monotonic()
            stream = await client.connect("refused-first.test", 80)
            assert time.monotonic() - started < 0.2
            assert (await greeting(stream)).startswith("127.0.0.1 ")

    run(main)


def test_every_attempt_refused_raises_the_last_error() -> None:
    async def main() -> None:
        answers = [(V4, ("127.0.0.1", closed_port())), (V4, ("127.0.0.1", closed_port()))]
        client = RecordingClient(FixedResolver(answers))
        with pytest.raises(StreamClosedError) as info:
            await client.connect("nobody.test", 80)
        assert isinstance(info.value.real_error, ConnectionRefusedError)
        assert len(client.attempts) == 2
        assert all(stream.closed() for _, stream in client.attempts)
        with pytest.raises(OSError, match="no addresses"):
            await TCPClient(FixedResolver([])).connect("empty.test", 80)

    run(main)


@pytest.mark.parametrize("timeout", [0.3, datetime.timedelta(milliseconds=300)])
def test_connect_timeout_closes_every_attempt(timeout: Any) -> None:
    async def main() -> None:
        with blackhole() as dead:
            client = RecordingClient(FixedResolver([(V4, dead)]))
            started = time.monotonic()
            with pytest.raises(TimeoutError, match=r"connecting to 'slow\.test'") as info:
                await client.connect("slow.test", 80, timeout=timeout)
            assert 0.25 <= time.monotonic() - started < 0.9
            assert f"127.0.0.1:{dead[1]}" in str(info.value)
            assert client.attempts and all(s.closed() for _, s in client.attempts)

    run(main)


def test_resolve_timeout() -> None:
    async def main() -> None:
        client = TCPClient(FixedResolver([(V4, ("127.0.0.1", 1))], delay=5))
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"resolving 'slow-dns\.test'"):
            await client.connect("slow-dns.test", 80, timeout=0.1)
        assert time.monotonic() - started < 0.5
        with pytest.raises(TypeError):
            await client.connect("x", 80, timeout="soon")  # type: ignore[arg-type]

    run(main)


def test_source_ip_and_source_port() -> None:
    async def main() -> None:
        client = TCPClient()
        with hello_server("0.0.0.0") as port:
            stream = await client.connect("127.0.0.1", port, source_ip="127.0.0.2")
            assert (await greeting(stream)).startswith("127.0.0.2 ")
            local_port = closed_port()
            stream = await client.connect("127.0.0.1", port, source_port=local_port)
            assert await greeting(stream) == f"127.0.0.1 {local_port}"
            stream = await client.connect(
                "127.0.0.1", port, source_ip="127.0.0.3", source_port=local_port
            )
            assert await greeting(stream) == f"127.0.0.3 {local_port}"
            # An IPv4 source address cannot be bound for IPv6 attempts: they fail,
            # the IPv4 one wins; with only IPv6 addresses the bind error is raised.
            answers = [(V6, ("::1", port, 0, 0)), (V4, ("127.0.0.1", port))]
            client2 = TCPClient(FixedResolver(answers))
            stream = await client2.connect("dual.test", 80, source_ip="127.0.0.2")
            assert (await greeting(stream)).startswith("127.0.0.2 ")
            client3 = TCPClient(FixedResolver(answers[:1]))
            with pytest.raises(OSError):
                await client3.connect("v6.test", 80, source_ip="127.0.0.2")
        client.close()

    run(main)


def test_idna_host_names() -> None:
    async def main() -> None:
        client = TCPClient()
        with hello_server() as port:
            # UTS 46 maps the full-width name to "localhost": resolved, connected.
            stream = await client.connect(FULLWIDTH_LOCALHOST, port, af=V4)
            assert (await greeting(stream)).startswith("127.0.0.1 ")
        with pytest.raises(socket.gaierror, match="invalid host name"):
            await client.connect("bad\u200dname.example", 80)
        client.close()

    run(main)
