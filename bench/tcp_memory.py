"""Server memory per idle TCP connection: RSS growth with N connections held open.

A server process (this script with ``--serve KIND``) accepts connections whose
handlers wait for a line that never comes; a client process opens ``--connections``
(default 10,000) sockets to it and keeps them open, idle. The harness reads the
server's ``VmRSS`` from ``/proc/<pid>/status`` before the connections and once all
of them are accepted (counted as open sockets in ``/proc/<pid>/fd``, then stable
for one second), and reports ``(after - before) / N``.

Servers:

* ``squall``: ``squall.tcpserver.TCPServer``; ``handle_stream`` awaits
  ``stream.read_until(b"\\n", max_bytes=65536)``.
* ``tornado``: the same on ``tornado.tcpserver.TCPServer``.
* ``asyncio-streams``: ``asyncio.start_server``; the handler awaits ``readline()``.
* ``asyncio-protocol``: a bare ``asyncio.Protocol`` that keeps nothing (the floor).

Both processes raise ``RLIMIT_NOFILE`` to its hard limit (it must be above N + 100).

    .venv/bin/python bench/tcp_memory.py                      # squall, 10,000 connections
    .venv/bin/python bench/tcp_memory.py --servers squall,tornado,asyncio-streams,asyncio-protocol
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} < {needed}: raise it (ulimit -Hn) first")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 1 << 20)), hard))


async def wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve(kind: str, sock: socket.socket) -> None:
    handlers: list[Any] = []  # keep the servers alive
    if kind == "squall":
        from squall.iostream import StreamClosedError
        from squall.tcpserver import TCPServer

        class Idle(TCPServer):
            async def handle_stream(self, stream: Any, address: Any) -> None:
                with contextlib.suppress(StreamClosedError):
                    await stream.read_until(b"\n", max_bytes=65536)

        server: Any = Idle()
        server.add_sockets([sock])
    elif kind == "tornado":
        from tornado.iostream import StreamClosedError as TornadoClosed
        from tornado.tcpserver import TCPServer as TornadoServer

        class TornadoIdle(TornadoServer):
            async def handle_stream(self, stream: Any, address: Any) -> None:
                with contextlib.suppress(TornadoClosed):
                    await stream.read_until(b"\n", max_bytes=65536)

        server = TornadoIdle()
        server.add_sockets([sock])
    elif kind == "asyncio-streams":

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readline()
            finally:
                writer.close()

        server = await asyncio.start_server(handle, sock=sock)
    else:
        server = await asyncio.get_running_loop().create_server(asyncio.Protocol, sock=sock)
    handlers.append(server)
    print("ready", flush=True)
    await wait_for_signal()


def client(port: int, n: int) -> None:
    conns = []
    for i in range(n):
        for attempt in range(50):
            try:
                conns.append(socket.create_connection(("127.0.0.1", port), timeout=10))
                break
            except OSError:
                time.sleep(0.05 * (attempt + 1))
        else:
            sys.exit(f"could not open connection {i}")
        if i % 500 == 499:
            time.sleep(0.02)  # let the server's accept loop keep up with the backlog
    print("connected", flush=True)
    sys.stdin.readline()  # hold them until the harness says so
    for conn in conns:
        conn.close()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_sockets(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def measure(kind: str, n: int, loop_kind: str) -> float:
    me = [sys.executable, str(Path(__file__).resolve())]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    argv = [*me, "--serve", kind, "--loop", loop_kind, "--fd", str(listener.fileno())]
    server = subprocess.Popen(
        argv, stdout=subprocess.PIPE, text=True, pass_fds=[listener.fileno()]
    )
    listener.close()
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        base_sockets = open_sockets(server.pid)
        before = rss_kib(server.pid)
        clients = subprocess.Popen(
            [*me, "--client", str(port), "--connections", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert clients.stdout is not None and clients.stdin is not None
            assert clients.stdout.readline().strip() == "connected"
            deadline = time.monotonic() + 120
            while open_sockets(server.pid) < base_sockets + n:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"only {open_sockets(server.pid)} sockets accepted")
                time.sleep(0.2)
            time.sleep(1)  # let every handler reach its read
            after = rss_kib(server.pid)
            clients.stdin.write("\n")
            clients.stdin.flush()
            clients.wait(60)
        finally:
            if clients.poll() is None:
                clients.kill()
                clients.wait()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    per = (after - before) / n
    print(f"{kind:16} {loop_kind:7} RSS {before:,} KiB -> {after:,} KiB: {per:.2f} KiB/connection")
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description="server RSS per idle TCP connection")
    parser.add_argument("--servers", default="squall")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--loops", default="asyncio", help="asyncio,uvloop")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit(args.connections + 100)
    if args.serve:
        sock = socket.socket(fileno=args.fd)
        if args.loop == "uvloop":
            import uvloop

            uvloop.run(serve(args.serve, sock))
        else:
            asyncio.run(serve(args.serve, sock))
    elif args.client:
        client(args.client, args.connections)
    else:
        for loop_kind in args.loops.split(","):
            for kind in args.servers.split(","):
                measure(kind, args.connections, loop_kind)


if __name__ == "__main__":
    main()
