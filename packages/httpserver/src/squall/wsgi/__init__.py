"""Running WSGI applications on squall's HTTP server (Tornado's ``tornado.wsgi``).

``WSGIContainer`` wraps a PEP 3333 application (Flask, Django, ...) as a request
callable for ``squall.httpserver.HTTPServer``, a ``squall.routing`` rule, or
``squall.web.FallbackHandler``. As in Tornado, the reverse (running a
``squall.web.Application`` under a WSGI server) is not supported.

``WSGIAppType`` is the type of a WSGI application:
``Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]``.
"""

from squall.wsgi._container import WSGIAppType, WSGIContainer

__all__ = ["WSGIAppType", "WSGIContainer"]
