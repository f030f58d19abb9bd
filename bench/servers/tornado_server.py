"""Benchmark server: Tornado (reference implementation).

Serves ``GET /`` (text), ``GET /json`` and ``POST /echo`` on 127.0.0.1:PORT.
Run: ``python bench/servers/tornado_server.py --port 8888``.
"""

import argparse
import asyncio

# The ``type: ignore[misc, unused-ignore]`` comments below let ``mypy --strict bench``
# pass in an environment without Tornado (nox's typecheck session), where
# RequestHandler is ``Any``; with Tornado installed they are no-ops.
import tornado.web


class HelloHandler(tornado.web.RequestHandler):  # type: ignore[misc, unused-ignore]
    def get(self) -> None:
        self.write("Hello, world")


class JsonHandler(tornado.web.RequestHandler):  # type: ignore[misc, unused-ignore]
    def get(self) -> None:
        self.write({"message": "Hello, world"})


class EchoHandler(tornado.web.RequestHandler):  # type: ignore[misc, unused-ignore]
    def post(self) -> None:
        self.set_header("Content-Type", "application/octet-stream")
        self.write(self.request.body)


async def serve(host: str, port: int) -> None:
    app = tornado.web.Application(
        [(r"/", HelloHandler), (r"/json", JsonHandler), (r"/echo", EchoHandler)]
    )
    app.listen(port, address=host)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
