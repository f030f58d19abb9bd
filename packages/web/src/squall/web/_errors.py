"""Exceptions a request handler raises to end a request early."""

from __future__ import annotations

from typing import Any

from squall.httputil import responses


class HTTPError(Exception):
    """An exception that turns into an HTTP error response (Tornado's ``web.HTTPError``).

    Raising it from a handler method is the usual way to answer with an error status:
    the handler calls ``send_error(status_code, exc_info=...)``, which renders
    ``write_error``. Any other exception becomes a 500.

    Args:
        status_code (int): the HTTP status code (RFC 9110 section 15), default 500.
        log_message (str | None): a message for the log (``%``-format with ``args``);
            it is logged at WARNING on ``squall.general`` and never sent to the client.
            When given without ``args``, literal ``%`` characters are kept as-is.
        *args (Any): ``%``-format arguments for ``log_message``.
        reason (str | None): keyword-only reason phrase for the status line; defaults
            to the standard phrase for ``status_code`` (or ``"Unknown"``).

    Attributes:
        status_code (int): the HTTP status code.
        log_message (str | None): the (escaped) log message format.
        args (tuple[Any, ...]): the format arguments.
        reason (str | None): the reason phrase override.
    """

    def __init__(
        self,
        status_code: int = 500,
        log_message: str | None = None,
        *args: Any,
        reason: str | None = None,
    ) -> None:
        super().__init__()
        self.status_code = status_code
        self.log_message = log_message
        self.args = args
        self.reason = reason
        if log_message is not None and not args:
            # Without arguments the message is a literal string, not a format.
            self.log_message = log_message.replace("%", "%%")

    def __str__(self) -> str:
        phrase = self.reason or responses.get(self.status_code, "Unknown")
        text = f"HTTP {self.status_code}: {phrase}"
        if self.log_message:
            return f"{text} ({self.log_message % self.args})"
        return text


class Finish(Exception):  # noqa: N818 - Tornado's public name
    """Raise to end the request without producing an error response (Tornado's ``web.Finish``).

    The handler calls ``finish(*args)``: ``raise Finish("done")`` finishes with the body
    ``"done"``; status and headers set so far are kept.

    Args:
        *args (Any): at most one chunk (``str``, ``bytes`` or ``dict``) passed to ``finish``.
    """


class MissingArgumentError(HTTPError):
    """A required argument was absent: a 400 response (Tornado's ``web.MissingArgumentError``).

    Raised by ``RequestHandler.get_argument`` and its query/body variants when no
    default is given.

    Args:
        arg_name (str): the name of the missing argument.

    Attributes:
        arg_name (str): the name of the missing argument.
    """

    def __init__(self, arg_name: str) -> None:
        super().__init__(400, f"Missing argument {arg_name}")
        self.arg_name = arg_name
