"""The HTTP/1.x connection state machine (Tornado's ``tornado.http1connection``).

``HTTP1ServerConnection`` serves the requests of one TCP connection; each request
gets an ``HTTP1Connection`` that parses it (RFC 9112, strictly: malformed input is
answered with 400/413/414/431/505 and the connection closed) and writes the
response with the right framing. The byte-level parser is a sans-IO class
(``squall.http1connection._parser.RequestParser``) behind a small internal
interface (``_parser_api.RequestParserAPI``) so that a C implementation can
replace it. Timeouts, size limits and the lingering close after error responses
are set with ``HTTP1ConnectionParameters`` (see the "HTTP/1 limits" guide).
"""

from squall.http1connection._connection import HTTP1Connection
from squall.http1connection._errors import HTTPParseError
from squall.http1connection._params import HTTP1ConnectionParameters
from squall.http1connection._server import HTTP1ServerConnection

__all__ = [
    "HTTP1Connection",
    "HTTP1ConnectionParameters",
    "HTTP1ServerConnection",
    "HTTPParseError",
]
