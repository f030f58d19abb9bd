"""Tornado's "hello world" with squall: ``python examples/hello.py [--port N]``.

Serves ``Hello, world`` at ``http://127.0.0.1:8888/`` (or the given port) until
interrupted. Prints ``listening on <port>`` once the socket is bound, so a parent
process can wait for readiness.
"""

import argparse
import asyncio
import contextlib

from squall.web import Application, RequestHandler


class MainHandler(RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


def make_app() -> Application:
    return Application([(r"/", MainHandler)])


async def main(port: int, address: str) -> None:
    app = make_app()
    server = app.listen(port, address)
    print(f"listening on {address}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8888)
    parser.add_argument("--address", default="127.0.0.1")
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(options.port, options.address))
