"""Benchmark server: aiohttp.

Serves ``GET /`` (text), ``GET /json`` and ``POST /echo`` on 127.0.0.1:PORT.
Run: ``python bench/servers/aiohttp_server.py --port 8888``.
"""

import argparse

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


async def json_message(request: web.Request) -> web.Response:
    return web.json_response({"message": "Hello, world"})


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.Response(body=body, content_type="application/octet-stream")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/json", json_message)
    app.router.add_post("/echo", echo)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
