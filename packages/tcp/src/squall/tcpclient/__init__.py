"""A non-blocking TCP connection factory (Tornado's ``tornado.tcpclient``).

Coming in the TCP issue: ``TCPClient.connect`` with happy eyeballs (RFC 8305).
"""

__all__: list[str] = []
