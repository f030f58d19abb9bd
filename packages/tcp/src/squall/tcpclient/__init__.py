"""A non-blocking TCP connection factory (Tornado's ``tornado.tcpclient``).

:class:`TCPClient` resolves a host, races connections to its addresses with happy
eyeballs (RFC 8305) and hands back a connected :class:`~squall.iostream.IOStream`,
optionally upgraded to TLS.
"""

from squall.tcpclient._client import TCPClient

__all__ = ["TCPClient"]
