"""TCP benchmarks: echo throughput of squall, Tornado and asyncio streams; RESP servers.

``--suite echo`` (default) runs two echo workloads against three servers, each on the
standard asyncio loop and on uvloop:

* ``bulk``: one connection; the client keeps 1 MiB in flight as 64 KiB writes and
  counts echoed bytes (MB/s, 1 MB = 10^6 bytes).
* ``lines``: 64 connections, each sending a 64-byte line (``\\n``-terminated) and
  waiting for its echo before sending the next (messages/s).

Servers (``--serve KIND``, run by this same script in a subprocess):

* ``squall``: ``squall.tcpserver.TCPServer``; ``read_bytes(65536, partial=True)`` or
  ``read_until(b"\\n", max_bytes=65536)``, then ``await stream.write(...)``.
* ``tornado``: the same code on ``tornado.tcpserver.TCPServer``/``IOStream``.
* ``asyncio``: ``asyncio.start_server``; ``reader.read(65536)`` or ``readline()``,
  then ``writer.write`` and ``await writer.drain()``.

``--suite resp`` runs ``redis-benchmark -t ping,set,get -P 16`` against
``examples/resp_server.py`` (squall) and ``bench/resp_asyncio_server.py``.

Method (as bench/http_bench.py): every server is pinned with ``taskset -c 0`` and the
load (this script's ``--client`` mode, on uvloop when installed, or redis-benchmark)
with ``taskset -c 1``; each measurement starts a fresh server; the servers are
alternated over ``--rounds`` rounds (the order rotates); the server's utime + stime
is read from ``/proc/<pid>/stat`` around the measured window; the table shows
medians per server of the rate and of the rate per server CPU-second.

    .venv/bin/python bench/tcp_bench.py --rounds 3 --duration 5
    .venv/bin/python bench/tcp_bench.py --suite resp --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVER_CPU = "0"
CLIENT_CPU = "1"
BULK_CHUNK = 64 * 1024
BULK_WINDOW = 1024 * 1024
LINE = b"x" * 63 + b"\n"
LINE_CONNECTIONS = 64

# ------------------------------------------------------------------- servers


async def serve_squall(mode: str, port: int) -> None:
    from squall.iostream import StreamClosedError
    from squall.tcpserver import TCPServer

    class Echo(TCPServer):
        async def handle_stream(self, stream: Any, address: Any) -> None:
            try:
                if mode == "bulk":
                    while True:
                        await stream.write(await stream.read_bytes(65536, partial=True))
                else:
                    while True:
                        await stream.write(await stream.read_until(b"\n", max_bytes=65536))
            except StreamClosedError:
                pass

    Echo().listen(port, "127.0.0.1")
    await wait_for_signal()


async def serve_tornado(mode: str, port: int) -> None:
    from tornado.iostream import StreamClosedError
    from tornado.tcpserver import TCPServer

    class Echo(TCPServer):
        async def handle_stream(self, stream: Any, address: Any) -> None:
            try:
                if mode == "bulk":
                    while True:
                        await stream.write(await stream.read_bytes(65536, partial=True))
                else:
                    while True:
                        await stream.write(await stream.read_until(b"\n", max_bytes=65536))
            except StreamClosedError:
                pass

    Echo().listen(port, "127.0.0.1")
    await wait_for_signal()


async def serve_asyncio(mode: str, port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await (reader.read(65536) if mode == "bulk" else reader.readline())
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    await asyncio.start_server(handle, "127.0.0.1", port)
    await wait_for_signal()


async def wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()


SERVERS = {"squall": serve_squall, "tornado": serve_tornado, "asyncio": serve_asyncio}


def run_loop(loop_kind: str, coro: Any) -> None:
    if loop_kind == "uvloop":
        import uvloop

        uvloop.run(coro)
    else:
        asyncio.run(coro)


# -------------------------------------------------------------------- client


class BulkClient(asyncio.Protocol):
    def __init__(self) -> None:
        self.received = 0
        self.in_flight = 0
        self.counting = False
        self.transport: asyncio.Transport | None = None
        self.chunk = b"b" * BULK_CHUNK

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.fill()

    def fill(self) -> None:
        assert self.transport is not None
        while self.in_flight < BULK_WINDOW:
            self.transport.write(self.chunk)
            self.in_flight += BULK_CHUNK

    def data_received(self, data: bytes) -> None:
        if self.counting:
            self.received += len(data)
        self.in_flight -= len(data)
        self.fill()


class LineClient(asyncio.Protocol):
    def __init__(self) -> None:
        self.count = 0
        self.counting = False
        self.pending = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(LINE)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.pending += len(data)
        while self.pending >= len(LINE):
            self.pending -= len(LINE)
            if self.counting:
                self.count += 1
            assert self.transport is not None
            self.transport.write(LINE)


async def client(mode: str, port: int, warmup: float, duration: float, pid: int) -> None:
    loop = asyncio.get_running_loop()
    n = 1 if mode == "bulk" else LINE_CONNECTIONS
    factory = BulkClient if mode == "bulk" else LineClient
    conns: list[Any] = []
    for _ in range(n):
        _, proto = await loop.create_connection(factory, "127.0.0.1", port)
        conns.append(proto)
    await asyncio.sleep(warmup)
    for c in conns:
        c.counting = True
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(duration)
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    for c in conns:
        c.counting = False
    total = sum(c.received if mode == "bulk" else c.count for c in conns)
    for c in conns:
        c.transport.close()
    print(json.dumps({"total": total, "seconds": t1 - t0, "cpu": cpu1 - cpu0}))


# ---------------------------------------------------------------- harness


def cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server_process(argv: list[str], port: int) -> Iterator[subprocess.Popen[str]]:
    # taskset execs the interpreter, so proc.pid is the server's own pid.
    proc = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read() if proc.stdout else ""
                    raise RuntimeError(f"server {argv} did not start: {out}") from None
                time.sleep(0.05)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def measure_echo(kind: str, loop_kind: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    me = [sys.executable, str(Path(__file__).resolve())]
    serve = [*me, "--serve", kind, "--loop", loop_kind, "--mode", mode, "--port", str(port)]
    with server_process(serve, port) as proc:
        out = subprocess.run(
            [
                "taskset", "-c", CLIENT_CPU, *me, "--client", mode, "--port", str(port),
                "--pid", str(proc.pid), "--warmup", str(args.warmup),
                "--duration", str(args.duration),
            ],
            capture_output=True, text=True, timeout=args.duration + args.warmup + 60, check=True,
        )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    rate = result["total"] / result["seconds"]
    if mode == "bulk":
        rate /= 1e6
    return {
        "rate": rate,
        "per_cpu": rate * result["seconds"] / result["cpu"] if result["cpu"] else float("nan"),
        "server_cpu": result["cpu"] / result["seconds"],
    }


def measure_resp(kind: str, loop_kind: str, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    script = ROOT / (
        "examples/resp_server.py" if kind == "squall" else "bench/resp_asyncio_server.py"
    )
    argv = [sys.executable, str(script), "--port", str(port)]
    if loop_kind == "uvloop":
        argv.append("--uvloop")
    with server_process(argv, port) as proc:
        bench = [
            "taskset", "-c", CLIENT_CPU, "redis-benchmark", "-p", str(port), "-t", mode,
            "-P", "16", "-c", "50", "-n", str(args.requests), "--csv",
        ]  # fmt: skip
        subprocess.run([*bench[:-1], "-n", str(args.requests // 5), "-q"],
                       capture_output=True, timeout=120, check=True)  # fmt: skip
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        out = subprocess.run(bench, capture_output=True, text=True, timeout=300, check=True)
        cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
    rows = [line.split('","') for line in out.stdout.splitlines() if line.startswith('"')]
    rates = {row[0].strip('"'): float(row[1].strip('"')) for row in rows if row[0] != '"test'}
    rate = sum(rates.values()) / len(rates)  # ping runs as PING_INLINE and PING_MBULK
    cpu = cpu1 - cpu0
    requests = args.requests * len(rates)
    return {"rate": rate, "per_cpu": requests / cpu if cpu else float("nan"),
            "server_cpu": cpu / (t1 - t0)}  # fmt: skip


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        found = re.search(r"model name\s*:\s*(.*)", f.read())
        model = found.group(1) if found else "?"
    versions = []
    for name in ("tornado", "uvloop"):
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return (
        f"{os.cpu_count()} CPUs, {model}, Linux {platform.release()}, "
        f"CPython {platform.python_version()}, " + ", ".join(versions)
    )


def main_bench(args: argparse.Namespace) -> None:
    loops = ["asyncio"]
    try:
        import uvloop  # noqa: F401

        loops.append("uvloop")
    except ImportError:
        print("uvloop not installed: asyncio loop only", file=sys.stderr)
    if args.suite == "echo":
        kinds = [k for k in args.servers.split(",") if k]
        workloads, measure, unit = (
            ["bulk", "lines"],
            measure_echo,
            {"bulk": "MB/s", "lines": "msg/s"},
        )
    else:
        if shutil.which("redis-benchmark") is None:
            sys.exit("redis-benchmark not found (Debian: apt-get install redis-tools)")
        kinds = ["squall", "asyncio"]
        workloads, measure = ["ping", "set", "get"], measure_resp
        unit = dict.fromkeys(workloads, "req/s")
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rnd in range(args.rounds):
        order = kinds[rnd % len(kinds) :] + kinds[: rnd % len(kinds)]
        for loop_kind in loops:
            for workload in workloads:
                for kind in order:
                    r = measure(kind, loop_kind, workload, args)
                    results.setdefault((loop_kind, workload, kind), []).append(r)
                    print(f"round {rnd + 1} {loop_kind:7} {workload:5} {kind:8} "
                          f"{r['rate']:12.1f} {unit[workload]:6} per CPU-s {r['per_cpu']:12.1f} "
                          f"cpu {r['server_cpu']:.0%}", file=sys.stderr, flush=True)  # fmt: skip
    ref = "tornado" if "tornado" in kinds else "asyncio"
    print(f"\nMachine: {machine()}\n")
    print(f"| loop | workload | server | rate | per server CPU-s | x {ref} | x {ref} (per CPU-s) "
          "| server CPU |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|")
    summary = {}
    for (loop_kind, workload, kind), runs in results.items():
        rate = statistics.median(r["rate"] for r in runs)
        per_cpu = statistics.median(r["per_cpu"] for r in runs)
        cpu = statistics.median(r["server_cpu"] for r in runs)
        summary[(loop_kind, workload, kind)] = (rate, per_cpu, cpu)
    for (loop_kind, workload, kind), (rate, per_cpu, cpu) in summary.items():
        ref_rate, ref_cpu, _ = summary[(loop_kind, workload, ref)]
        ratios = f"{rate / ref_rate:.2f} | {per_cpu / ref_cpu:.2f}"
        print(f"| {loop_kind} | {workload} | {kind} | {rate:,.0f} {unit[workload]} | "
              f"{per_cpu:,.0f} | {ratios} | {cpu:.0%} |")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": machine(), "suite": args.suite,
             "runs": {" ".join(k): v for k, v in results.items()}}, indent=1))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", choices=["echo", "resp"], default="echo")
    parser.add_argument("--servers", default="squall,tornado,asyncio", help="echo servers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--requests", type=int, default=500_000, help="per redis-benchmark test")
    parser.add_argument("--json", help="write every run to this file")
    # internal modes
    parser.add_argument("--serve", choices=sorted(SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--client", choices=["bulk", "lines"], help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="bulk", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_loop(args.loop, SERVERS[args.serve](args.mode, args.port))
    elif args.client:
        loop_kind = "uvloop" if _has_uvloop() else "asyncio"
        run_loop(loop_kind, client(args.client, args.port, args.warmup, args.duration, args.pid))
    else:
        main_bench(args)


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
