"""Event-loop micro-benchmark: squall vs Tornado vs plain asyncio (see docs/benchmarks.md).

Measures, in one process, for each framework:

* ``add_callback``: callbacks per second through ``IOLoop.add_callback`` (plain asyncio:
  ``loop.call_soon``). ``--width`` chains run side by side; each callback schedules
  the next one of its chain, so every loop iteration runs ``--width`` callbacks.
* ``call_later``: the same through ``IOLoop.call_later(0, ...)`` (asyncio:
  ``loop.call_later(0, ...)``), which goes through the loop's timer heap.
* ``queue``: put/get pairs per second through a ``Queue(maxsize=--maxsize)`` between
  one producer and one consumer coroutine (``squall.queues``, ``tornado.queues``,
  ``asyncio.Queue``).

Every measurement runs in a fresh event loop (``asyncio.Runner``, with uvloop's loop
factory under ``--loop uvloop``). Frameworks alternate, in a rotating order, over
``--rounds`` rounds; the table shows medians of operations per second of wall time and
per second of process CPU time (the fairer number on a machine that is not quiet).
The process pins itself to one core (``os.sched_setaffinity``, like ``taskset -c 0``).

    .venv/bin/python bench/ioloop_bench.py --rounds 5
    .venv/bin/python bench/ioloop_bench.py --loop uvloop --markdown
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

FRAMEWORKS = ("squall", "tornado", "asyncio")
BENCHMARKS = ("add_callback", "call_later", "queue")

Scheduler = Callable[[Callable[[], None]], Any]


def _scheduler(framework: str, bench: str) -> Scheduler:
    """Return ``schedule(fn)`` for the framework and benchmark, bound to the running loop."""
    loop = asyncio.get_running_loop()
    if framework == "asyncio":
        if bench == "add_callback":
            return loop.call_soon
        call_later = loop.call_later
        return lambda fn: call_later(0, fn)
    if framework == "squall":
        from squall.ioloop import IOLoop
    else:
        from tornado.ioloop import IOLoop
    io_loop = IOLoop.current()
    if bench == "add_callback":
        return io_loop.add_callback
    io_call_later = io_loop.call_later
    return lambda fn: io_call_later(0, fn)


async def _callbacks(framework: str, bench: str, n: int, width: int) -> None:
    schedule = _scheduler(framework, bench)
    done = asyncio.get_running_loop().create_future()
    left = n

    def step() -> None:
        nonlocal left
        left -= 1
        if left > 0:
            schedule(step)
        elif left == 0:
            done.set_result(None)

    for _ in range(min(width, n)):
        schedule(step)
    await done


async def _queue(framework: str, n: int, maxsize: int) -> None:
    queue: Any
    if framework == "squall":
        from squall.queues import Queue

        queue = Queue(maxsize)
    elif framework == "tornado":
        from tornado.queues import Queue as TornadoQueue

        queue = TornadoQueue(maxsize)
    else:
        queue = asyncio.Queue(maxsize)

    async def producer() -> None:
        put = queue.put
        for i in range(n):
            await put(i)

    async def consumer() -> int:
        get = queue.get
        total = 0
        for _ in range(n):
            total += await get()
        return total

    task = asyncio.ensure_future(producer())
    total = await consumer()
    await task
    assert total == n * (n - 1) // 2, "the queue lost or duplicated items"


def _coroutine(framework: str, bench: str, args: argparse.Namespace) -> Awaitable[None]:
    if bench == "queue":
        return _queue(framework, args.n_queue, args.maxsize)
    return _callbacks(framework, bench, args.n, args.width)


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    if name == "asyncio":
        return None
    import uvloop

    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def measure(framework: str, bench: str, args: argparse.Namespace) -> dict[str, float]:
    """Run one benchmark once in a fresh loop; return ops/s of wall and of CPU time."""
    ops = args.n_queue if bench == "queue" else args.n
    with asyncio.Runner(loop_factory=_loop_factory(args.loop)) as runner:
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        runner.run(_coroutine(framework, bench, args))  # type: ignore[arg-type]
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"ops_per_s": ops / wall, "ops_per_cpu_s": ops / max(cpu, 1e-9)}


def _pin(cpu: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as e:
        return f"not pinned ({e})"
    return f"pinned to CPU {cpu}"


def _machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions: dict[str, str] = {}
    from importlib import metadata

    for dist in ("squall-ioloop", "squall-locks", "tornado", "uvloop"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def run(args: argparse.Namespace, log: Any) -> dict[str, Any]:
    """Run every round; return the raw runs and their medians."""
    frameworks = [f for f in args.frameworks.split(",") if f]
    benches = [b for b in args.benchmarks.split(",") if b]
    runs: list[dict[str, Any]] = []
    # Warm up imports and code paths once, unmeasured.
    for fw in frameworks:
        for bench in benches:
            small = argparse.Namespace(**{**vars(args), "n": 2000, "n_queue": 2000})
            measure(fw, bench, small)
    for rnd in range(args.rounds):
        order = frameworks[rnd % len(frameworks) :] + frameworks[: rnd % len(frameworks)]
        for bench in benches:
            for fw in order:
                result = measure(fw, bench, args)
                runs.append({"round": rnd, "framework": fw, "benchmark": bench, **result})
                print(
                    f"round {rnd + 1}/{args.rounds} {bench:<12} {fw:<8} "
                    f"{result['ops_per_s']:>11,.0f}/s {result['ops_per_cpu_s']:>11,.0f}/CPU-s",
                    file=log,
                )
    medians: dict[str, dict[str, dict[str, float]]] = {}
    for bench in benches:
        medians[bench] = {}
        for fw in frameworks:
            mine = [r for r in runs if r["benchmark"] == bench and r["framework"] == fw]
            medians[bench][fw] = {
                key: statistics.median(r[key] for r in mine)
                for key in ("ops_per_s", "ops_per_cpu_s")
            }
    return {"runs": runs, "medians": medians}


def table(medians: dict[str, dict[str, dict[str, float]]]) -> str:
    """Format the medians as a Markdown table with ratios to asyncio and Tornado."""
    lines = [
        "| benchmark | framework | ops/s | ops/CPU-s | x asyncio (CPU) | x Tornado (CPU) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for bench, per_fw in medians.items():
        base = per_fw.get("asyncio", {}).get("ops_per_cpu_s")
        tornado = per_fw.get("tornado", {}).get("ops_per_cpu_s")
        for fw, m in per_fw.items():
            cpu = m["ops_per_cpu_s"]
            vs_a = f"{cpu / base:.2f}" if base else "-"
            vs_t = f"{cpu / tornado:.2f}" if tornado else "-"
            lines.append(
                f"| {bench} | {fw} | {m['ops_per_s']:,.0f} | {cpu:,.0f} | {vs_a} | {vs_t} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (>= 3 advised)")
    parser.add_argument("-n", type=int, default=200_000, help="callbacks per measurement")
    parser.add_argument("--width", type=int, default=100, help="callback chains in flight")
    parser.add_argument("--n-queue", type=int, default=100_000, help="items per queue run")
    parser.add_argument("--maxsize", type=int, default=100, help="queue maxsize (0: unbounded)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS))
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to (-1: do not pin)")
    parser.add_argument("--json", metavar="PATH", help="write runs and medians ('-': stdout)")
    parser.add_argument("--markdown", action="store_true", help="print only the table")
    args = parser.parse_args(argv)
    log: Any = sys.stderr if args.json == "-" else sys.stdout
    if args.markdown:
        log = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    pinned = _pin(args.cpu) if args.cpu >= 0 else "not pinned"
    machine = _machine()
    print(f"{machine['cpu_model']}, {machine['cpus']} CPUs, {pinned}, loop={args.loop}", file=log)
    result = run(args, log)
    print(file=log)
    print(table(result["medians"]), file=sys.stderr if args.json == "-" else sys.stdout)
    if args.markdown:
        log.close()
    if args.json:
        doc = {"settings": vars(args), "pinned": pinned, "machine": machine, **result}
        text = json.dumps(doc, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
