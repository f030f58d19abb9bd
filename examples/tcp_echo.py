"""A line-echo TCP server built on squall-tcp alone (plus squall-ioloop).

Run it, then talk to it with any TCP client::

    python examples/tcp_echo.py --port 8889
    printf 'hello\\nworld\\n' | nc 127.0.0.1 8889

Each line (up to 64 KiB, ending in ``\\n``) is written back as soon as it arrives;
a longer line closes the connection. Prints ``listening on <address>:<port>`` once
bound; SIGINT or SIGTERM stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from squall.iostream import IOStream, StreamClosedError
from squall.tcpserver import TCPServer

MAX_LINE = 64 * 1024


class LineEchoServer(TCPServer):
    """Echo every line back to the client that sent it."""

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        try:
            while True:
                line = await stream.read_until(b"\n", max_bytes=MAX_LINE)
                await stream.write(line)
        except StreamClosedError:
            pass  # the client left, or sent a line longer than MAX_LINE


async def serve(port: int, address: str) -> None:
    server = LineEchoServer()
    server.listen(port, address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {address}:{port}", flush=True)
    await stop.wait()
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="squall line-echo TCP server")
    parser.add_argument("--port", type=int, default=8889, help="TCP port (default 8889)")
    parser.add_argument("--address", default="127.0.0.1", help="address (default 127.0.0.1)")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.address))


if __name__ == "__main__":
    main()
