"""HTTP throughput benchmark: squall against Tornado, aiohttp and uvicorn.

Every framework serves the same three endpoints (see ``bench/servers/``):

* ``GET /``      -> ``Hello, world`` as text,
* ``GET /json``  -> ``{"message": "Hello, world"}``,
* ``POST /echo`` -> echoes the 1 KiB request body.

Each server runs pinned to one core (``taskset -c SERVER_CPU``) and wrk
(``-t1 -c64``) runs pinned to another (``taskset -c CLIENT_CPU``).  Frameworks are
alternated over ``--rounds`` rounds (the order rotates each round; each round
starts a fresh server process).  For every run the server's utime+stime is read
from ``/proc/<pid>/stat`` before and after wrk, which gives requests per server
CPU-second: a figure that stays meaningful when the client, not the server, is
the bottleneck, or when other processes compete for the server's core.  The table
shows medians over the rounds, the ratio to Tornado, and the share of its core the
server actually used ("srv CPU": well below 100% means the server was starved, and
then only req/CPU-s is comparable).

Everything is bounded: servers must answer within ``--startup-timeout`` seconds,
each wrk run is killed ``--duration`` + 30 seconds after it starts, and servers are
terminated (then killed) when their round ends.

Example::

    .venv/bin/python bench/http_bench.py --rounds 3 --duration 5
    .venv/bin/python bench/http_bench.py --frameworks tornado,aiohttp --json bench/results/run.json
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

BENCH_DIR = Path(__file__).resolve().parent
SERVERS_DIR = BENCH_DIR / "servers"
ECHO_BODY_SIZE = 1024

# framework name -> (server script, module that must be importable to run it)
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "squall": ("squall_server.py", "squall.web"),
    "tornado": ("tornado_server.py", "tornado"),
    "aiohttp": ("aiohttp_server.py", "aiohttp"),
    "uvicorn": ("uvicorn_server.py", "uvicorn"),
}
REFERENCE = "tornado"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("hello", "GET", "/"),
    Endpoint("json", "GET", "/json"),
    Endpoint("echo", "POST", "/echo"),
)

POST_LUA = f"""\
wrk.method = "POST"
wrk.body = string.rep("x", {ECHO_BODY_SIZE})
wrk.headers["Content-Type"] = "application/octet-stream"
"""


@dataclass
class RunResult:
    framework: str
    endpoint: str
    round: int
    requests: int
    seconds: float
    requests_per_second: float
    server_cpu_seconds: float
    requests_per_cpu_second: float
    socket_errors: int
    non_2xx: int


@dataclass
class Summary:
    framework: str
    endpoint: str
    runs: int
    requests_per_second: float
    requests_per_cpu_second: float
    server_cpu_share: float
    ratio_rps: float | None = None
    ratio_cpu: float | None = None
    errors: int = 0


@dataclass
class Report:
    command: list[str]
    machine: dict[str, str]
    settings: dict[str, Any]
    runs: list[RunResult] = field(default_factory=list)
    summary: list[Summary] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


class BenchError(RuntimeError):
    """A server or wrk run failed in a way that invalidates the measurement."""


def cpu_ticks(pid: int) -> int:
    """utime + stime of a whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        stat = f.read()
    # The command name (field 2) is in parentheses and may contain spaces.
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return int(fields[11]) + int(fields[12])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def probe(port: int, timeout: float) -> bool:
    """True when ``GET /`` on the port answers 200 within ``timeout`` seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read()
        return resp.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def check_endpoints(port: int) -> None:
    """Verify the three endpoints answer correctly before measuring them."""
    body = b"x" * ECHO_BODY_SIZE
    checks: list[tuple[str, str, bytes | None, bytes]] = [
        ("GET", "/", None, b"Hello, world"),
        ("GET", "/json", None, b'{"message": "Hello, world"}'),
        ("POST", "/echo", body, body),
    ]
    for method, path, payload, expected in checks:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request(method, path, body=payload)
            resp = conn.getresponse()
            got = resp.read()
        finally:
            conn.close()
        if resp.status != 200 or got.replace(b" ", b"") != expected.replace(b" ", b""):
            raise BenchError(f"{method} {path}: status {resp.status}, body {got[:80]!r}")


@contextlib.contextmanager
def running_server(
    framework: str, cpu: int, startup_timeout: float, log_dir: Path
) -> Iterator[tuple[int, int]]:
    """Start a framework's server pinned to ``cpu``; yield (pid, port)."""
    script = SERVERS_DIR / FRAMEWORKS[framework][0]
    port = free_port()
    log_path = log_dir / f"{framework}-{port}.log"
    with open(log_path, "wb") as log:
        # taskset execs the interpreter, so proc.pid is the server's own pid.
        proc = subprocess.Popen(
            ["taskset", "-c", str(cpu), sys.executable, str(script), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not probe(port, timeout=1.0):
            if proc.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(errors="replace")[-2000:]
                raise BenchError(f"{framework} server did not start:\n{output}")
            time.sleep(0.1)
        check_endpoints(port)
        yield proc.pid, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def run_wrk(
    port: int,
    endpoint: Endpoint,
    *,
    duration: int,
    cpu: int,
    connections: int,
    lua_path: Path,
) -> tuple[int, float, int, int]:
    """Run wrk once; return (requests, seconds, socket errors, non-2xx responses)."""
    cmd = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}"]
    cmd += [f"-d{duration}s", "--timeout", "2s"]
    if endpoint.method == "POST":
        cmd += ["-s", str(lua_path)]
    cmd.append(f"http://127.0.0.1:{port}{endpoint.path}")
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"wrk did not finish: {' '.join(cmd)}") from e
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()}")
    return parse_wrk(proc.stdout)


def parse_wrk(output: str) -> tuple[int, float, int, int]:
    """Extract (requests, seconds, socket errors, non-2xx) from wrk's report."""
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if m is None:
        raise BenchError(f"unexpected wrk output:\n{output}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
    requests, seconds = int(m.group(1)), float(m.group(2)) * scale
    errors = 0
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if e is not None:
        errors = sum(int(g) for g in e.groups())
    n = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    non_2xx = int(n.group(1)) if n is not None else 0
    return requests, seconds, errors, non_2xx


def machine_info() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    versions = {}
    for dist in ("squall-web", "tornado", "aiohttp", "uvicorn", "h11"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed"
    return {
        "nproc": str(os.cpu_count()),
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "",
        **{f"version_{k}": v for k, v in versions.items()},
    }


def available(framework: str) -> str | None:
    """None if the framework's server can run, else the reason it cannot."""
    module = FRAMEWORKS[framework][1]
    try:
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    except ImportError as e:
        return f"{module}: {e}"
    return None


def summarize(runs: Sequence[RunResult], frameworks: Sequence[str]) -> list[Summary]:
    out: list[Summary] = []
    ref: dict[str, Summary] = {}
    for fw in frameworks:
        for ep in ENDPOINTS:
            mine = [r for r in runs if r.framework == fw and r.endpoint == ep.name]
            if not mine:
                continue
            s = Summary(
                framework=fw,
                endpoint=ep.name,
                runs=len(mine),
                requests_per_second=statistics.median(r.requests_per_second for r in mine),
                requests_per_cpu_second=statistics.median(r.requests_per_cpu_second for r in mine),
                server_cpu_share=statistics.median(
                    r.server_cpu_seconds / r.seconds if r.seconds else 0.0 for r in mine
                ),
                errors=sum(r.socket_errors + r.non_2xx for r in mine),
            )
            out.append(s)
            if fw == REFERENCE:
                ref[ep.name] = s
    for s in out:
        r = ref.get(s.endpoint)
        if r is not None and r.requests_per_second > 0 and r.requests_per_cpu_second > 0:
            s.ratio_rps = s.requests_per_second / r.requests_per_second
            s.ratio_cpu = s.requests_per_cpu_second / r.requests_per_cpu_second
    return out


def format_table(summary: Sequence[Summary]) -> str:
    header = (
        f"{'framework':<10} {'endpoint':<9} {'req/s':>10} {'req/CPU-s':>10} "
        f"{'x tornado':>10} {'x tornado':>10} {'srv CPU':>8} {'errors':>7}"
    )
    sub = (
        f"{'':<10} {'':<9} {'(median)':>10} {'(median)':>10} "
        f"{'(req/s)':>10} {'(CPU)':>10} {'(median)':>8}"
    )
    lines = [header, sub, "-" * len(header)]
    for s in summary:
        rr = f"{s.ratio_rps:.2f}" if s.ratio_rps is not None else "-"
        rc = f"{s.ratio_cpu:.2f}" if s.ratio_cpu is not None else "-"
        lines.append(
            f"{s.framework:<10} {s.endpoint:<9} {s.requests_per_second:>10.0f} "
            f"{s.requests_per_cpu_second:>10.0f} {rr:>10} {rc:>10} "
            f"{s.server_cpu_share:>7.0%} {s.errors:>7}"
        )
    return "\n".join(lines)


def format_markdown(summary: Sequence[Summary]) -> str:
    lines = [
        "| framework | endpoint | req/s | req/CPU-s | x Tornado (req/s) "
        "| x Tornado (req/CPU-s) | server CPU | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary:
        rr = f"{s.ratio_rps:.2f}" if s.ratio_rps is not None else "-"
        rc = f"{s.ratio_cpu:.2f}" if s.ratio_cpu is not None else "-"
        lines.append(
            f"| {s.framework} | {s.endpoint} | {s.requests_per_second:.0f} "
            f"| {s.requests_per_cpu_second:.0f} | {rr} | {rc} | {s.server_cpu_share:.0%} "
            f"| {s.errors} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    p.add_argument("--rounds", type=int, default=3, help="rounds per framework (default 3)")
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    p.add_argument(
        "--warmup", type=int, default=1, help="seconds of unmeasured load per run (default 1)"
    )
    p.add_argument(
        "--frameworks",
        default=",".join(FRAMEWORKS),
        help=f"comma-separated subset of {','.join(FRAMEWORKS)}",
    )
    p.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--server-cpu", type=int, default=0, help="core for the server (default 0)")
    p.add_argument("--client-cpu", type=int, default=1, help="core for wrk (default 1)")
    p.add_argument("--startup-timeout", type=float, default=15.0, help="seconds (default 15)")
    p.add_argument(
        "--json",
        metavar="PATH",
        help="also write every run, the medians and the machine info as JSON ('-' = stdout)",
    )
    p.add_argument(
        "--markdown", action="store_true", help="print the table as Markdown (for docs)"
    )
    args = p.parse_args(argv)
    if args.rounds < 1 or args.duration < 1 or args.warmup < 0:
        p.error("--rounds and --duration must be >= 1, --warmup >= 0")
    unknown = [f for f in args.frameworks.split(",") if f not in FRAMEWORKS]
    if unknown:
        p.error(f"unknown frameworks: {', '.join(unknown)}")
    return args


def bench_framework(
    fw: str, rnd: int, args: argparse.Namespace, *, tmpdir: Path, lua: Path, out: TextIO
) -> list[RunResult]:
    """One round for one framework: a fresh server, one wrk run per endpoint."""
    tick = os.sysconf("SC_CLK_TCK")
    wrk_opts: dict[str, Any] = {
        "cpu": args.client_cpu,
        "connections": args.connections,
        "lua_path": lua,
    }
    results: list[RunResult] = []
    with running_server(fw, args.server_cpu, args.startup_timeout, tmpdir) as (pid, port):
        for ep in ENDPOINTS:
            if args.warmup > 0:
                run_wrk(port, ep, duration=args.warmup, **wrk_opts)
            before = cpu_ticks(pid)
            requests, secs, errors, non_2xx = run_wrk(port, ep, duration=args.duration, **wrk_opts)
            cpu = (cpu_ticks(pid) - before) / tick
            result = RunResult(
                framework=fw,
                endpoint=ep.name,
                round=rnd,
                requests=requests,
                seconds=secs,
                requests_per_second=requests / secs if secs else 0.0,
                server_cpu_seconds=cpu,
                requests_per_cpu_second=requests / cpu if cpu else 0.0,
                socket_errors=errors,
                non_2xx=non_2xx,
            )
            results.append(result)
            print(
                f"round {rnd} {fw:<8} {ep.name:<6} "
                f"{result.requests_per_second:>9.0f} req/s  "
                f"{result.requests_per_cpu_second:>9.0f} req/CPU-s  "
                f"cpu {cpu:.2f}s  errors {errors + non_2xx}",
                file=out,
                flush=True,
            )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = sys.stderr if args.json == "-" else sys.stdout
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"{tool} is not on PATH", file=sys.stderr)
            return 2
    ncpu = os.cpu_count() or 1
    if max(args.server_cpu, args.client_cpu) >= ncpu or args.server_cpu == args.client_cpu:
        print(f"need two distinct cores < {ncpu} for server and wrk", file=sys.stderr)
        return 2

    report = Report(
        command=[Path(sys.executable).name, *sys.argv],
        machine=machine_info(),
        settings={k: v for k, v in vars(args).items() if k not in {"json", "markdown"}},
    )
    frameworks: list[str] = []
    for fw in args.frameworks.split(","):
        reason = available(fw)
        if reason is None:
            frameworks.append(fw)
        else:
            report.skipped[fw] = reason
            print(f"skipping {fw}: {reason}", file=out)

    with tempfile.TemporaryDirectory(prefix="squall-bench-") as tmp:
        tmpdir = Path(tmp)
        lua = tmpdir / "post_echo.lua"
        lua.write_text(POST_LUA, encoding="ascii")
        for rnd in range(args.rounds):
            shift = rnd % len(frameworks) if frameworks else 0
            order = frameworks[shift:] + frameworks[:shift]
            for fw in order:
                if fw in report.skipped:
                    continue
                try:
                    report.runs += bench_framework(
                        fw, rnd + 1, args, tmpdir=tmpdir, lua=lua, out=out
                    )
                except BenchError as e:
                    report.skipped[fw] = str(e)
                    print(f"skipping {fw}: {e}", file=out, flush=True)

    report.summary = summarize(report.runs, frameworks)
    print(file=out)
    table = format_markdown if args.markdown else format_table
    print(table(report.summary), file=out)
    m = report.machine
    print(
        f"\n{m['cpu_model']}, nproc {m['nproc']}, Python {m['python']}; "
        f"{args.rounds} rounds x {args.duration}s, wrk -t1 -c{args.connections}",
        file=out,
    )
    starved = [s for s in report.summary if s.server_cpu_share < 0.8]
    if starved:
        print(
            f"warning: {len(starved)} of {len(report.summary)} results had a server using "
            f"< 80% of core {args.server_cpu} (other load on the machine?): compare "
            "req/CPU-s, not req/s",
            file=out,
        )
    if args.json:
        data = json.dumps(asdict(report), indent=2)
        if args.json == "-":
            print(data)
        else:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(data + "\n", encoding="utf-8")
    return 0 if report.runs else 1


if __name__ == "__main__":
    sys.exit(main())
