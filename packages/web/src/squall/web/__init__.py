"""The web framework: ``Application``, ``RequestHandler`` and friends (Tornado's ``tornado.web``).

A minimal app::

    import asyncio
    from squall.web import Application, RequestHandler

    class MainHandler(RequestHandler):
        def get(self) -> None:
            self.write("Hello, world")

    async def main() -> None:
        Application([(r"/", MainHandler)]).listen(8888)
        await asyncio.Event().wait()

    asyncio.run(main())

Not available yet: templates (``render`` raises NotImplementedError), static files,
XSRF protection, signed cookies, UI modules and autoreload.
"""

from ._application import Application, HandlerSpec
from ._builtin import ErrorHandler, FallbackHandler, RedirectHandler
from ._decorators import addslash, removeslash, stream_request_body
from ._errors import Finish, HTTPError, MissingArgumentError
from ._handler import RequestHandler
from ._transforms import GZipContentEncoding, OutputTransform
from ._urlspec import URLSpec, url
from ._version import version

__all__ = [
    "Application",
    "ErrorHandler",
    "FallbackHandler",
    "Finish",
    "GZipContentEncoding",
    "HTTPError",
    "HandlerSpec",
    "MissingArgumentError",
    "OutputTransform",
    "RedirectHandler",
    "RequestHandler",
    "URLSpec",
    "addslash",
    "removeslash",
    "stream_request_body",
    "url",
    "version",
]
