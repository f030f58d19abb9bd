"""The pure-Python HTTP/1.1 client implementation (Tornado's
``tornado.simple_httpclient``).

Coming in the HTTP client issue: ``SimpleAsyncHTTPClient`` with keep-alive
pooling, proxies and safe redirects.
"""

__all__: list[str] = []
