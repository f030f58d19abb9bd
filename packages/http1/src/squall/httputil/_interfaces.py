"""The interfaces between the HTTP/1 connection and the application layer."""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable

from squall.httputil._headers import HTTPHeaders
from squall.httputil._startline import RequestStartLine, ResponseStartLine


class HTTPMessageDelegate:
    """Receives one parsed HTTP message (Tornado's ``HTTPMessageDelegate``).

    The connection calls ``headers_received`` once, ``data_received`` for each
    body chunk, then ``finish``; or ``on_connection_close`` if the connection is
    lost first. Methods returning an awaitable pause reading until it resolves
    (flow control).
    """

    def headers_received(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
    ) -> Awaitable[None] | None:
        """Called when the start line and header block have been parsed.

        Args:
            start_line: a ``RequestStartLine`` (server) or ``ResponseStartLine`` (client).
            headers: the parsed header fields.

        Returns:
            ``None`` or an awaitable; reading the body waits for it.
        """
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Called with each chunk of the (de-chunked) body.

        Args:
            chunk: at most ``chunk_size`` bytes of body data.

        Returns:
            ``None`` or an awaitable; reading more body waits for it.
        """
        return None

    def finish(self) -> None:
        """Called after the last body chunk has been delivered."""

    def on_connection_close(self) -> None:
        """Called if the connection closes before ``finish``."""


class HTTPConnection:
    """The writing side of one HTTP exchange (Tornado's ``HTTPConnection``).

    Applications call ``write_headers`` once, ``write`` any number of times and
    ``finish`` once.
    """

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
    ) -> Future[None]:
        """Write the start line and headers (and optionally a first body chunk).

        Args:
            start_line: ``ResponseStartLine`` for a server, ``RequestStartLine`` for a client.
            headers: the header fields; may be modified (framing headers added).
            chunk: optional first body chunk.

        Returns:
            A ``Future`` resolved when the data has been handed to the kernel.
        """
        raise NotImplementedError()

    def write(self, chunk: bytes) -> Future[None]:
        """Write a body chunk.

        Args:
            chunk: body bytes.

        Returns:
            A ``Future`` resolved when the data has been handed to the kernel.
        """
        raise NotImplementedError()

    def finish(self) -> None:
        """Mark the message complete (writes the last chunk when chunked)."""
        raise NotImplementedError()

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        """Run ``callback()`` if the connection closes before the message is finished.

        Args:
            callback: a no-argument callable, or ``None`` to clear it.
        """
        raise NotImplementedError()


class HTTPServerConnectionDelegate:
    """Creates a message delegate per request (Tornado's ``HTTPServerConnectionDelegate``)."""

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        """Called by the server when a new request starts.

        Args:
            server_conn: an opaque object identifying the transport connection.
            request_conn: the ``HTTPConnection`` used to answer this request.

        Returns:
            The ``HTTPMessageDelegate`` that will receive the request.
        """
        raise NotImplementedError()

    def on_close(self, server_conn: object) -> None:
        """Called when a transport connection closes.

        Args:
            server_conn: the object passed to ``start_request``.
        """
