"""Benchmark server: a raw ASGI application under uvicorn.

uvicorn runs on the plain asyncio loop with its pure-Python h11 protocol
(``loop="asyncio"``, ``http="h11"``) so that every framework in the benchmark
uses the same event loop and no C HTTP parser.

Serves ``GET /`` (text), ``GET /json`` and ``POST /echo`` on 127.0.0.1:PORT.
Run: ``python bench/servers/uvicorn_server.py --port 8888``.
"""

import argparse
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

# ignore: lets ``mypy --strict bench`` pass where uvicorn is not installed.
import uvicorn  # type: ignore[import-not-found, unused-ignore]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HELLO = b"Hello, world"
JSON_BODY = json.dumps({"message": "Hello, world"}).encode()


async def respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    method, path = scope["method"], scope["path"]
    if method == "GET" and path == "/":
        await respond(send, 200, b"text/plain; charset=utf-8", HELLO)
    elif method == "GET" and path == "/json":
        await respond(send, 200, b"application/json", JSON_BODY)
    elif method == "POST" and path == "/echo":
        body = await read_body(receive)
        await respond(send, 200, b"application/octet-stream", body)
    else:
        await respond(send, 404, b"text/plain; charset=utf-8", b"Not Found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="asyncio",
        http="h11",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
