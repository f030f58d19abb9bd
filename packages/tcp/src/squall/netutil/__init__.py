"""Socket helpers (Tornado's ``tornado.netutil``).

Listening sockets (:func:`bind_sockets`, :func:`bind_unix_socket`), an accept loop
(:func:`add_accept_handler`), :func:`is_valid_ip` and
:func:`ssl_options_to_context`. Resolvers are coming with ``squall.tcpclient``.
"""

from squall.netutil._accept import add_accept_handler
from squall.netutil._bind import bind_sockets, bind_unix_socket
from squall.netutil._ip import is_valid_ip
from squall.netutil._ssl import ssl_options_to_context

__all__ = [
    "add_accept_handler",
    "bind_sockets",
    "bind_unix_socket",
    "is_valid_ip",
    "ssl_options_to_context",
]
