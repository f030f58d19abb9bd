"""A non-blocking, single-threaded HTTP/1.x server (Tornado's ``tornado.httpserver``).

``HTTPServer`` accepts TCP connections and serves HTTP/1.0 and HTTP/1.1 on them
through ``squall.http1connection``, handing each request to an
``HTTPServerConnectionDelegate`` (e.g. ``squall.web.Application``) or to a plain
callable taking an ``HTTPServerRequest``.
"""

from squall.httpserver._server import HTTPServer
from squall.httputil import HTTPServerRequest as HTTPRequest

__all__ = ["HTTPRequest", "HTTPServer"]
