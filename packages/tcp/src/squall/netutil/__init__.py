"""Socket helpers and DNS resolvers (Tornado's ``tornado.netutil``).

Listening sockets (:func:`bind_sockets`, :func:`bind_unix_socket`), an accept loop
(:func:`add_accept_handler`), :func:`is_valid_ip`, TLS settings
(:func:`ssl_options_to_context`, :func:`ssl_wrap_socket`), and the configurable
asynchronous :class:`Resolver` with its implementations
(:class:`DefaultLoopResolver` is the default; :class:`OverrideResolver` rewrites
names, for tests).
"""

from squall.netutil._accept import add_accept_handler
from squall.netutil._bind import bind_sockets, bind_unix_socket
from squall.netutil._ip import is_valid_ip
from squall.netutil._resolver import (
    BlockingResolver,
    DefaultExecutorResolver,
    DefaultLoopResolver,
    ExecutorResolver,
    OverrideResolver,
    Resolver,
    ThreadedResolver,
)
from squall.netutil._ssl import ssl_options_to_context, ssl_wrap_socket

__all__ = [
    "BlockingResolver",
    "DefaultExecutorResolver",
    "DefaultLoopResolver",
    "ExecutorResolver",
    "OverrideResolver",
    "Resolver",
    "ThreadedResolver",
    "add_accept_handler",
    "bind_sockets",
    "bind_unix_socket",
    "is_valid_ip",
    "ssl_options_to_context",
    "ssl_wrap_socket",
]
