"""The pure-Python HTTP/1.1 client (Tornado's ``tornado.simple_httpclient``).

:class:`SimpleAsyncHTTPClient` is the default ``AsyncHTTPClient`` implementation:
queueing beyond ``max_clients``, timeouts, redirects that never leak credentials
across origins, basic and digest authentication, gzip/deflate decoding with a cap
on the decoded size, TLS verification on by default, and keep-alive connection
reuse. ``version`` is this distribution's version (sent as ``User-Agent:
squall/<version>``).
"""

from squall.simple_httpclient._client import SimpleAsyncHTTPClient
from squall.simple_httpclient._prepare import version

__all__ = ["SimpleAsyncHTTPClient", "version"]
