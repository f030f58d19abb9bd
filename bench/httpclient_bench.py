"""HTTP client benchmark: squall's client against Tornado's, aiohttp's and httpx's.

Every client makes ``--requests`` (5,000) GET requests, ``--concurrency`` (16) at a
time, to one local server: a raw asyncio ``Protocol`` that answers each request with
the same canned 13-byte response (keep-alive), so the server costs almost nothing
and the client is what is measured. The server runs pinned to one core
(``taskset -c SERVER_CPU``); each client run is a fresh process pinned to another
(``taskset -c CLIENT_CPU``) that warms up with 100 requests, then times the rest and
reads its own CPU time (``time.process_time``). Clients alternate over ``--rounds``
rounds (the order rotates each round); the table shows medians: requests per second
(wall clock) and requests per client CPU-second.

The clients:

* squall: ``squall.httpclient.AsyncHTTPClient`` (``SimpleAsyncHTTPClient``,
  ``max_clients=16``; keeps connections alive).
* tornado: ``tornado.simple_httpclient.SimpleAsyncHTTPClient`` (``max_clients=16``;
  Tornado's simple client opens one connection per request).
* aiohttp: ``aiohttp.ClientSession`` (``TCPConnector(limit=16)``).
* httpx: ``httpx.AsyncClient`` (``Limits(max_connections=16)``).

Example::

    .venv/bin/python bench/httpclient_bench.py --rounds 3
    .venv/bin/python bench/httpclient_bench.py --clients squall,aiohttp --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import Any

CLIENTS = ("squall", "tornado", "aiohttp", "httpx")
BODY = b"Hello, world\n"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(BODY)
) + BODY
WARMUP = 100


# -- the canned server ------------------------------------------------------------------


class CannedProtocol(asyncio.Protocol):
    """Answers every complete request head (GET, no body) with ``RESPONSE``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        count = buf.count(b"\r\n\r\n")
        if count:
            self.transport.write(RESPONSE * count)
            buf = buf[buf.rfind(b"\r\n\r\n") + 4 :]
        self.buf = buf


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(CannedProtocol, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


# -- the clients (each in its own process) ------------------------------------------------


async def drive(fetch: Callable[[], Awaitable[None]], total: int, concurrency: int) -> None:
    left = total

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await fetch()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run_squall(url: str, total: int, concurrency: int) -> tuple[float, float]:
    from squall.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient(force_instance=True, max_clients=concurrency)

    async def fetch() -> None:
        response = await client.fetch(url)
        assert response.body == BODY

    try:
        return await timed(fetch, total, concurrency)
    finally:
        client.close()


async def run_tornado(url: str, total: int, concurrency: int) -> tuple[float, float]:
    from tornado.simple_httpclient import SimpleAsyncHTTPClient

    client = SimpleAsyncHTTPClient(force_instance=True, max_clients=concurrency)

    async def fetch() -> None:
        response = await client.fetch(url)
        assert response.body == BODY

    try:
        return await timed(fetch, total, concurrency)
    finally:
        client.close()


async def run_aiohttp(url: str, total: int, concurrency: int) -> tuple[float, float]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fetch() -> None:
            async with session.get(url) as response:
                assert await response.read() == BODY

        return await timed(fetch, total, concurrency)


async def run_httpx(url: str, total: int, concurrency: int) -> tuple[float, float]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def fetch() -> None:
            response = await client.get(url)
            assert response.content == BODY

        return await timed(fetch, total, concurrency)


async def timed(
    fetch: Callable[[], Awaitable[None]], total: int, concurrency: int
) -> tuple[float, float]:
    await drive(fetch, WARMUP, concurrency)
    wall, cpu = time.perf_counter(), time.process_time()
    await drive(fetch, total, concurrency)
    return time.perf_counter() - wall, time.process_time() - cpu


RUNNERS: dict[str, Callable[[str, int, int], Coroutine[Any, Any, tuple[float, float]]]] = {
    "squall": run_squall,
    "tornado": run_tornado,
    "aiohttp": run_aiohttp,
    "httpx": run_httpx,
}


# -- the driver -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def available(client: str) -> str | None:
    module = {"squall": "squall.httpclient"}.get(client, client)
    return None if importlib.util.find_spec(module) else f"{module} not installed"


@contextlib.contextmanager
def running_server(port: int, cpu: int) -> Iterator[None]:
    cmd = ["taskset", "-c", str(cpu), sys.executable, __file__, "--serve", str(port)]
    proc = subprocess.Popen(cmd)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the canned server did not start") from None
                time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_client(client: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        "taskset",
        "-c",
        str(args.client_cpu),
        sys.executable,
        __file__,
        "--client",
        client,
        "--port",
        str(port),
        "--requests",
        str(args.requests),
        "--concurrency",
        str(args.concurrency),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{client} failed:\n{out.stderr[-3000:]}")
    wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "client": client,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "requests_per_second": args.requests / wall,
        "requests_per_cpu_second": args.requests / cpu if cpu else float("inf"),
    }


def summarize(runs: Sequence[dict[str, Any]], clients: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for client in clients:
        mine = [r for r in runs if r["client"] == client]
        rows.append(
            {
                "client": client,
                "requests_per_second": statistics.median(r["requests_per_second"] for r in mine),
                "requests_per_cpu_second": statistics.median(
                    r["requests_per_cpu_second"] for r in mine
                ),
                "rounds": len(mine),
            }
        )
    return rows


def format_markdown(rows: Sequence[dict[str, Any]]) -> str:
    base = next((r for r in rows if r["client"] == "tornado"), rows[0])
    lines = [
        "| client | req/s (median) | req per client CPU-s (median) | vs tornado (req/s) |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["requests_per_second"] / base["requests_per_second"]
        lines.append(
            f"| {r['client']} | {r['requests_per_second']:,.0f} | "
            f"{r['requests_per_cpu_second']:,.0f} | {ratio:.2f}x |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", default=",".join(CLIENTS))
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=min(2, (os.cpu_count() or 1) - 1))
    p.add_argument("--json", help="also write every run and the medians as JSON ('-' = stdout)")
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    p.add_argument("--client", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.serve))
        return 0
    if args.client:
        url = f"http://127.0.0.1:{args.port}/"
        result = asyncio.run(RUNNERS[args.client](url, args.requests, args.concurrency))
        print(json.dumps(result))
        return 0
    clients = [c for c in args.clients.split(",") if c]
    for c in clients:
        missing = available(c)
        if missing:
            print(f"skipping {c}: {missing}", file=sys.stderr)
    clients = [c for c in clients if available(c) is None]
    port = free_port()
    runs: list[dict[str, Any]] = []
    with running_server(port, args.server_cpu):
        for round_no in range(args.rounds):
            order = clients[round_no % len(clients) :] + clients[: round_no % len(clients)]
            for client in order:
                run = run_client(client, port, args)
                run["round"] = round_no
                runs.append(run)
                print(
                    f"round {round_no + 1} {client:<8} {run['requests_per_second']:>9,.0f} req/s "
                    f"{run['requests_per_cpu_second']:>9,.0f} req/CPU-s",
                    file=sys.stderr,
                )
    rows = summarize(runs, clients)
    print(
        f"{args.requests} GET requests, concurrency {args.concurrency}, "
        f"{args.rounds} rounds (medians); server on CPU {args.server_cpu}, "
        f"clients on CPU {args.client_cpu}"
    )
    print(format_markdown(rows))
    if args.json:
        data = json.dumps({"runs": runs, "medians": rows, "args": vars(args)}, indent=2)
        if args.json == "-":
            print(data)
        else:
            with open(args.json, "w") as f:
                f.write(data + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
