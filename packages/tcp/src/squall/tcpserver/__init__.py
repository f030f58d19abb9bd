"""A non-blocking, single-threaded TCP server (Tornado's ``tornado.tcpserver``).

Subclass :class:`TCPServer`, override ``handle_stream(stream, address)``, then
``listen(port)`` (or ``add_sockets(bind_sockets(...))``).
"""

from squall.tcpserver._server import TCPServer

__all__ = ["TCPServer"]
