"""Exceptions raised while reading or writing HTTP messages."""


class HTTPInputError(Exception):
    """Malformed HTTP input: a bad request or response from the peer.

    Follows Tornado's ``tornado.httputil.HTTPInputError``. Raised by the parsers
    in this module and by :mod:`squall.http1connection`; the server answers it
    with a 4xx response and closes the connection.
    """


class HTTPOutputError(Exception):
    """The application tried to write an invalid HTTP message.

    Follows Tornado's ``tornado.httputil.HTTPOutputError``: raised for header
    names, values or reason phrases containing CR, LF or NUL, for writing more
    (or, on ``finish``, less) than the declared ``Content-Length``, and for
    writing after the response was finished.
    """
