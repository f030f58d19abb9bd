"""10,000 idle keep-alive connections held by a client process (slow).

The server keeps answering new requests, and its memory per idle connection is
measured and printed (goal: <= 6 KiB; only a loose bound is asserted).
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import sys
import time

import pytest

from squall.httpserver import HTTPServer
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine
from squall.netutil import bind_sockets

CONNECTIONS = 10_000

CLIENT = r"""
import asyncio, sys

REQUEST = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"

async def one(port, sem, held):
    async with sem:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(2)
        held.append(writer)

async def main(port, count):
    sem = asyncio.Semaphore(100)  # stay within the listen backlog
    held = []
    await asyncio.gather(*(one(port, sem, held) for _ in range(count)))
    sys.stdout.write(f"ready {len(held)}\n")
    sys.stdout.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for w in held:
        w.close()

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
"""


def ok(req: HTTPServerRequest) -> None:
    assert req.connection is not None
    req.connection.write_headers(
        ResponseStartLine("HTTP/1.1", 200, "OK"), HTTPHeaders({"Content-Length": "2"}), b"ok"
    )
    req.connection.finish()


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_ten_thousand_idle_keep_alive_connections() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = CONNECTIONS + 1000
    if soft < want:
        target = want if hard == resource.RLIM_INFINITY else min(max(want, soft), hard)
        if target < want:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is below {want}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))

    async def request(port: int) -> float:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /new HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        await writer.wait_closed()
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
        return time.perf_counter() - started

    async def main() -> None:
        socks = bind_sockets(0, "127.0.0.1", backlog=1024)
        port = socks[0].getsockname()[1]
        server = HTTPServer(ok)
        server.add_sockets(socks)
        client = None
        try:
            for _ in range(200):  # warm up allocator and code paths
                await request(port)
            gc.collect()
            before = rss_bytes()
            client = await asyncio.create_subprocess_exec(
                sys.executable, "-c", CLIENT, str(port), str(CONNECTIONS),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert client.stdout is not None and client.stdin is not None
            line = await asyncio.wait_for(client.stdout.readline(), 90)
            assert line == f"ready {CONNECTIONS}\n".encode(), line
            await asyncio.sleep(0.5)
            assert server.connection_count == CONNECTIONS
            gc.collect()
            after = rss_bytes()
            latencies = [await request(port) for _ in range(20)]
            per_conn = (after - before) / CONNECTIONS
            print(
                f"\nidle keep-alive: {CONNECTIONS} connections, server RSS +{after - before} B, "
                f"{per_conn / 1024:.2f} KiB per connection; new request worst "
                f"{max(latencies) * 1000:.1f} ms"
            )
            assert max(latencies) < 2.0
            assert per_conn < 20 * 1024
            client.stdin.close()
            await asyncio.wait_for(client.wait(), 30)
        finally:
            if client is not None and client.returncode is None:
                client.kill()
                await client.wait()
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())
