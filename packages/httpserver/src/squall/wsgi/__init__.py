"""Running WSGI applications on squall's HTTP server (Tornado's ``tornado.wsgi``).

Coming in the HTTP/1 server issue: ``WSGIContainer``.
"""

__all__: list[str] = []
