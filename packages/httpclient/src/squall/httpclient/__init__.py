"""The asynchronous HTTP client interface (Tornado's ``tornado.httpclient``).

Coming in the HTTP client issue: ``HTTPRequest``, ``HTTPResponse``,
``AsyncHTTPClient``, ``HTTPClient`` and the client error types.
"""

__all__: list[str] = []
