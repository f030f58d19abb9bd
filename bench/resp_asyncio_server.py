"""The RESP example's key-value server written with plain asyncio streams.

The baseline for ``bench/tcp_bench.py --suite resp``: the same parser and
:class:`Store` as ``examples/resp_server.py`` (imported from it), driven by
``asyncio.start_server`` and ``StreamReader.readuntil``/``readexactly`` instead of
squall's ``TCPServer`` and ``IOStream``. Like the squall server it writes the replies
to a pipelined batch at once, flushing when the reader has nothing buffered
(``StreamReader`` has no public way to ask, so this peeks at its private buffer).

    python bench/resp_asyncio_server.py --port 6381 [--uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import signal
import sys
from pathlib import Path
from types import ModuleType

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resp_server.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("resp_server", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["resp_server"] = module
    spec.loader.exec_module(module)
    return module


resp = load_example()


def make_handler(store: object, limits: object) -> object:
    execute = store.execute  # type: ignore[attr-defined]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = resp.RespParser(limits)
        replies: list[bytes] = []
        try:
            while True:
                kind, size = parser.next_read
                if replies and not reader._buffer:  # type: ignore[attr-defined]  # no public peek
                    writer.write(b"".join(replies))
                    replies.clear()
                    await writer.drain()
                if kind == resp.LINE:
                    unit = await reader.readuntil(b"\r\n")
                    if len(unit) > size:
                        break
                else:
                    unit = await reader.readexactly(size)
                try:
                    command = parser.feed_unit(unit)
                except resp.ProtocolError as e:
                    writer.write(b"".join(replies) + resp.error(f"ERR Protocol error: {e}"))
                    break
                if command is not None:
                    replies.append(execute(command))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    return handle


async def serve(port: int, address: str) -> None:
    limits = resp.Limits()
    handler = make_handler(resp.Store(), limits)
    server = await asyncio.start_server(
        handler,  # type: ignore[arg-type]
        address,
        port,
        limit=limits.max_inline_length,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {address}:{port}", flush=True)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="RESP server on asyncio streams")
    parser.add_argument("--port", type=int, default=6381)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--uvloop", action="store_true")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.run(serve(args.port, args.address))
    else:
        asyncio.run(serve(args.port, args.address))


if __name__ == "__main__":
    main()
