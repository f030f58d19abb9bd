"""The typed parse error of the HTTP/1 parsers."""

from squall.httputil import HTTPInputError


class HTTPParseError(HTTPInputError):
    """Malformed or over-limit HTTP/1 input, with the status code to answer it with.

    A subclass of ``HTTPInputError``. ``code`` is 400 (malformed), 413 (body too
    large), 414 (request line too long), 431 (header block too large) or 505
    (unsupported HTTP version), per RFC 9110 §15.5 and RFC 6585 §5.

    Args:
        message: human-readable reason (safe to log: at most a short excerpt of input).
        code: the HTTP status code (``int``).
    """

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.code = code
