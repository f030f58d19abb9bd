"""HTTP1Connection: one HTTP/1.x request/response exchange over an IOStream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from squall.http1connection import _client
from squall.http1connection._deadlines import (
    DeadlineReader,
    SilentCloseError,
    after,
    earliest,
    linger,
    read_head,
)
from squall.http1connection._errors import HTTPParseError
from squall.http1connection._gzip import GzipMessageDelegate
from squall.http1connection._output import format_head
from squall.http1connection._params import DEFAULT_MAX_BODY_SIZE, HTTP1ConnectionParameters
from squall.http1connection._parser_api import RequestParserAPI, new_parser
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPInputError,
    HTTPMessageDelegate,
    HTTPOutputError,
    RequestStartLine,
    ResponseStartLine,
    responses,
)
from squall.httputil._abnf import content_length_re
from squall.iostream import IOStream, StreamClosedError
from squall.log import app_log, gen_log


def _connection_tokens(headers: HTTPHeaders) -> set[str]:
    """The lower-cased options of the ``Connection`` fields (RFC 9110 §7.6.1)."""
    value = headers.get("Connection")
    if not value:
        return set()
    return {t.strip(" \t").lower() for t in value.split(",")}


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a finished future's exception as retrieved (the stream reports it)."""
    if not future.cancelled():
        future.exception()


class HTTP1Connection(HTTPConnection):
    """One HTTP/1.x message exchange on a stream (Tornado's ``HTTP1Connection``).

    On the server a new ``HTTP1Connection`` is made for every request by
    ``HTTP1ServerConnection``; the application answers through ``write_headers``,
    ``write`` and ``finish``. On the client (``is_client=True``) the request goes
    out through ``write_headers(RequestStartLine, headers)``, ``write`` and
    ``finish``, and ``read_response(delegate)`` reads the answer.

    Framing follows RFC 9112 §6: responses carry the
    ``Content-Length`` the application set, else are chunked on HTTP/1.1, else
    delimited by closing the connection; responses to HEAD and 1xx/204/304
    responses never carry a body (body bytes written for them are dropped).

    Args:
        stream: the connected ``IOStream``.
        is_client: ``True`` for the client side, ``False`` for the server side.
        params: ``HTTP1ConnectionParameters`` (defaults if ``None``).
        context: opaque object describing the peer (``remote_ip``, ``protocol``),
            exposed as ``self.context``.
    """

    # Per-exchange state, starting from these class-level values: a server makes
    # one HTTP1Connection per request, and an attribute is only stored on the
    # instance once it changes (fewer stores and a smaller instance dict).
    _parser: RequestParserAPI | None = None
    _reader: DeadlineReader | None = None
    _detached = False
    _read_finished = False
    _write_finished = False
    _response_started = False
    _disconnect_on_finish = False
    _chunking_output = False
    _discard_body = False
    _expected_content_remaining: int | None = None
    _request_start_line: RequestStartLine | None = None
    _request_headers: HTTPHeaders | None = None
    _pending_write: asyncio.Future[None] | None = None
    _close_callback: Callable[[], None] | None = None
    # Made only when _read_message must wait for the response (see _release).
    _finish_future: asyncio.Future[None] | None = None
    _released = False
    # When the server waited for this head in the stream's data hook: the loop
    # time the wait began (header_timeout counts from it), else None.
    _head_wait_started: float | None = None

    def __init__(
        self,
        stream: IOStream,
        is_client: bool,
        params: HTTP1ConnectionParameters | None = None,
        context: object | None = None,
    ) -> None:
        self.is_client = is_client
        self.stream = stream
        self.params = params if params is not None else HTTP1ConnectionParameters()
        self.context = context
        self.no_keep_alive = self.params.no_keep_alive
        self._max_body_size = (
            self.params.max_body_size
            if self.params.max_body_size is not None
            else DEFAULT_MAX_BODY_SIZE
        )
        self._body_timeout = self.params.body_timeout

    # -- configuration --------------------------------------------------------------

    def set_close_callback(self, callback: Callable[[], None] | None) -> None:
        """Run ``callback()`` if the connection closes before the response is finished.

        Args:
            callback: a no-argument callable, or ``None`` to clear it.
        """
        self._close_callback = callback

    def set_body_timeout(self, timeout: float) -> None:
        """Override ``body_timeout`` for this request (seconds, ``float``).

        Args:
            timeout: seconds allowed for reading the request body.
        """
        self._body_timeout = timeout

    def set_max_body_size(self, max_body_size: int) -> None:
        """Override ``max_body_size`` for this request (bytes, ``int``).

        Call it from ``headers_received``; the 413 check runs after it returns.

        Args:
            max_body_size: largest accepted body in bytes.
        """
        self._max_body_size = max_body_size

    def detach(self) -> IOStream:
        """Take over the stream (e.g. for WebSocket); this connection stops using it.

        Bytes the peer sent after the request head that this connection had
        already received (for example the first WebSocket frames, sent by an eager
        client together with its Upgrade request) are put back at the front of the
        stream's read buffer, so the new owner reads every byte after the head.

        Returns:
            The ``IOStream``.
        """
        self._clear_callbacks()
        self._detached = True
        parser = self._parser
        if parser is not None:
            leftover = parser.take_buffered()
            if leftover:
                # No read is pending now, so no read future must be re-checked.
                self.stream.unread(leftover)
        self._release()
        return self.stream

    def _is_detached(self) -> bool:
        return self._detached

    def close(self) -> None:
        """Close the stream and release anything waiting for this exchange."""
        self.stream.close()
        self._clear_callbacks()
        self._release()

    def _release(self) -> None:
        """The exchange is over: let ``_read_message`` go on (to the next request)."""
        self._released = True
        future = self._finish_future
        if future is not None and not future.done():
            future.set_result(None)

    def _clear_callbacks(self) -> None:
        self._close_callback = None
        self.stream.set_close_callback(None)

    def _stop_watching(self) -> None:
        """``_clear_callbacks`` for the end of every request: cheaper when it can be.

        The stream's close callback is this connection's only while
        ``_read_message`` waits on ``_finish_future``; a request answered at once
        never installed it, so there is nothing to clear on the stream.
        """
        self._close_callback = None
        if self._finish_future is not None:
            self.stream.set_close_callback(None)

    def _on_connection_close(self) -> None:
        callback = self._close_callback
        self._close_callback = None
        if callback is not None:
            callback()
        self._release()
        self._clear_callbacks()

    # -- reading (client side) ------------------------------------------------------

    def read_response(self, delegate: HTTPMessageDelegate) -> Awaitable[bool]:
        """Read the response to the request written on this (client) connection.

        Follows Tornado's ``HTTP1Connection.read_response`` and RFC 9112 §4-§7:
        interim 1xx responses are skipped, except a ``100 Continue`` answering a
        request sent with ``Expect: 100-continue`` whose body is not written yet,
        which is passed to ``delegate.headers_received`` (the delegate then writes
        the body); responses to HEAD and 1xx/204/304 responses have no body; other
        bodies are framed by ``Content-Length``, chunked encoding or the end of the
        connection. With ``params.decompress`` a gzip or deflate body is decoded
        (``Content-Encoding`` becomes ``X-Consumed-Content-Encoding``).
        ``params.max_body_size`` bounds the body *after* decoding.

        After a complete response the stream is left open only if it can carry
        another request (RFC 9112 §9.3); otherwise it is closed.

        Args:
            delegate: the ``HTTPMessageDelegate`` receiving the response.

        Returns:
            An awaitable resolving to ``True`` once the response was delivered
            (``delegate.finish`` called), or ``False`` if the connection closed
            first (``delegate.on_connection_close`` called if the head had been
            delivered) or the connection was detached.

        Raises:
            HTTPInputError: (from the awaitable; an ``HTTPParseError``) a malformed
                response, a head over ``max_header_size``, a body over
                ``max_body_size`` or a corrupt compressed body; the stream is
                closed. Tornado logs these and returns ``False``; squall raises so
                the client can report the reason.
        """
        return _client.read_response(self, delegate)

    # -- reading (server side) ------------------------------------------------------

    def _get_parser(self) -> RequestParserAPI:
        if self._parser is None:
            self._parser = new_parser(self.params)
        return self._parser

    def _get_reader(self) -> DeadlineReader:
        reader = self._reader
        if reader is None:  # a standalone connection, not made by HTTP1ServerConnection
            reader = self._reader = DeadlineReader(self.stream, self._get_parser())
        return reader

    async def _read_message(self, delegate: HTTPMessageDelegate) -> bool:
        """Read one request, feed it to ``delegate`` and wait for its response.

        Returns:
            ``True`` if the connection may carry another request.
        """
        parser = self._get_parser()
        need_delegate_close = False
        try:
            # A pipelined head may be buffered already: no coroutine for it.
            head = parser.next_head() if parser.buffered else None
            if head is None:
                head = await read_head(
                    parser, self.params, self._get_reader(), self._head_wait_started
                )
            start_line, headers = head
            self._request_start_line = start_line
            self._request_headers = headers
            max_requests = self.params.max_requests
            self._disconnect_on_finish = (
                self.no_keep_alive
                or not self._can_keep_alive(start_line, headers)
                or (max_requests is not None and parser.heads >= max_requests)
            )
            if self.params.decompress:
                # max_body_size counts decompressed bytes (read when they arrive, so
                # set_max_body_size in headers_received applies).
                if isinstance(delegate, GzipMessageDelegate):
                    delegate.set_max_body_size(self._current_max_body_size)
                else:
                    delegate = GzipMessageDelegate(
                        delegate, self.params.chunk_size, self._current_max_body_size
                    )
            need_delegate_close = True
            result = delegate.headers_received(start_line, headers)
            if result is not None:
                await result
            if self._detached:
                need_delegate_close = False
                return False
            length = parser.content_length
            if length is None or length > 0:
                if length is not None and length > self._max_body_size:
                    raise HTTPParseError("Content-Length too large", 413)
                if (
                    start_line.version == "HTTP/1.1"
                    and not self._response_started
                    and headers.get("Expect", "").lower() == "100-continue"
                ):
                    self.stream.write(b"HTTP/1.1 100 Continue\r\n\r\n").add_done_callback(
                        _retrieve
                    )
                if (
                    length is not None
                    and length <= parser.buffered
                    and length <= self.params.chunk_size
                ):
                    # Fast path: the whole body arrived with the head (a small
                    # request): one chunk, no deadline needed, no coroutine.
                    data, _done = parser.read_body(length)
                    if not self._write_finished:
                        result = delegate.data_received(data)
                        if result is not None:
                            await result
                else:
                    await self._read_body(parser, delegate)
            self._read_finished = True
            if not self._write_finished:
                need_delegate_close = False
                delegate.finish()
            if not self._released and not self.stream.closed():
                # The response is still being produced (or flushed): wait for it.
                self._finish_future = asyncio.get_running_loop().create_future()
                self.stream.set_close_callback(self._on_connection_close)
                await self._finish_future
            if self._is_detached():
                need_delegate_close = False
                return False
            return not (self._disconnect_on_finish or self.stream.closed())
        except HTTPInputError as e:
            gen_log.info("Bad HTTP request from %s: %s", self.context, e)
            code = getattr(e, "code", 400)
            # After a 408 the peer is slow, not sending: lingering would only wait.
            if await self._send_error(code) and code != 408:
                await linger(self.stream, self._parser, self.params)
            self.close()
            return False
        except SilentCloseError:
            self.close()
            return False
        except StreamClosedError:
            self.close()
            return False
        except Exception:
            app_log.error("Uncaught exception in HTTP request handling", exc_info=True)
            self.close()
            return False
        finally:
            if need_delegate_close:
                try:
                    delegate.on_connection_close()
                except Exception:
                    app_log.error("Uncaught exception in on_connection_close", exc_info=True)
            self._stop_watching()

    def _current_max_body_size(self) -> int:
        return self._max_body_size

    async def _read_body(self, parser: RequestParserAPI, delegate: HTTPMessageDelegate) -> None:
        """Feed the body to ``delegate`` under ``body_timeout`` and ``body_idle_timeout``."""
        chunk_size = self.params.chunk_size
        idle_timeout = self.params.body_idle_timeout
        reader = self._get_reader()
        overall = after(reader.time(), self._body_timeout)
        received = 0
        while True:
            data, done = parser.read_body(chunk_size)
            if data:
                received += len(data)
                if received > self._max_body_size:
                    raise HTTPParseError("request body too large", 413)
                if not self._write_finished:
                    result = delegate.data_received(data)
                    if result is not None:
                        await result
            if done:
                return
            if not data:
                try:
                    await reader.fill(earliest(overall, after(reader.time(), idle_timeout)))
                except TimeoutError:
                    raise HTTPParseError("timed out reading the request body", 408) from None

    def _can_keep_alive(self, start_line: RequestStartLine, headers: HTTPHeaders) -> bool:
        """RFC 9112 §9.3: 1.1 persists unless ``close``; 1.0 only with ``keep-alive``."""
        if "Connection" not in headers._as_list:  # the usual case: no tokens to parse
            return start_line.version == "HTTP/1.1"
        tokens = _connection_tokens(headers)
        if start_line.version == "HTTP/1.1":
            return "close" not in tokens
        return "keep-alive" in tokens

    async def _send_error(self, code: int) -> bool:
        """Write a bodiless error response; return ``True`` once it reached the kernel."""
        if self._response_started or self.stream.closed():
            return False
        self._response_started = True
        reason = responses.get(code, "Unknown")
        data = f"HTTP/1.1 {code} {reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        try:
            await self.stream.write(data.encode("ascii"))
        except StreamClosedError:
            return False
        return True

    # -- writing --------------------------------------------------------------------

    def write_headers(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
        chunk: bytes | None = None,
    ) -> asyncio.Future[None]:
        """Write the status line (or, on a client, request line) and headers.

        On a client, ``start_line`` is a ``RequestStartLine``; the head must have a
        ``Host`` field; a POST, PUT or PATCH request without ``Content-Length`` is
        sent chunked; ``Connection: close`` is added when ``no_keep_alive`` is set.

        On a server, adds the framing fields: ``Transfer-Encoding: chunked`` for an HTTP/1.1
        response without ``Content-Length`` that may have a body, ``Connection:
        close`` when the connection will close (RFC 9112 §9.6), ``Connection:
        Keep-Alive`` for a persistent HTTP/1.0 connection.

        Args:
            start_line: a ``ResponseStartLine`` (server) or ``RequestStartLine``
                (client); the version written is always HTTP/1.1.
            headers: the response headers (modified in place).
            chunk: optional first body chunk.

        Returns:
            A ``Future`` resolved when the data has been written to the kernel
            (failed with ``StreamClosedError`` if the stream was already closed).

        Raises:
            HTTPOutputError: headers already written, or a header name that is not
                a token, a header value or reason phrase containing CR, LF or NUL, a
                malformed ``Content-Length``, or text not encodable as Latin-1.
        """
        if self.is_client:
            if not isinstance(start_line, RequestStartLine):
                raise HTTPOutputError("a client connection writes a RequestStartLine")
            data = _client.format_request_head(self, start_line, headers)
            if chunk:
                data += self._format_chunk(chunk)
            return self._write(data)
        if not isinstance(start_line, ResponseStartLine):
            raise HTTPOutputError("a server connection writes a ResponseStartLine")
        if self._response_started:
            raise HTTPOutputError("response headers were already written")
        request = self._request_start_line
        if request is None:
            raise HTTPOutputError("no request is being answered")
        code = start_line.code
        reason = start_line.reason
        no_body = request.method == "HEAD" or code in (204, 304) or 100 <= code < 200
        # Framing fields read from the stored lists: names there are canonical,
        # so no per-lookup normalisation (HTTPHeaders' own invariant).
        fields = headers._as_list
        lengths = fields.get("Content-Length")
        length = None if lengths is None else ",".join(lengths)
        expected: int | None = None
        if length is not None:
            if content_length_re.fullmatch(length) is None:
                raise HTTPOutputError(f"invalid Content-Length {length!r}")
            expected = int(length)
        http11 = request.version == "HTTP/1.1"
        chunking = http11 and not no_body and length is None and "Transfer-Encoding" not in fields
        disconnect = self._disconnect_on_finish
        if not no_body and length is None and not chunking:
            disconnect = True  # RFC 9112 §6.3 rule 8: the body ends when we close
        if "Connection" in fields and "close" in _connection_tokens(headers):
            disconnect = True
        if http11:
            if disconnect:
                headers["Connection"] = "close"
        elif disconnect:
            if "Connection" in headers:
                del headers["Connection"]
        else:
            headers["Connection"] = "Keep-Alive"
        if chunking:
            headers["Transfer-Encoding"] = "chunked"
        # Validates names, values and the reason in one pass (see _output.py).
        data = format_head(f"HTTP/1.1 {code} {reason}", headers, reason)
        self._response_started = True
        self._disconnect_on_finish = disconnect
        self._chunking_output = chunking
        self._discard_body = no_body
        self._expected_content_remaining = 0 if no_body else expected
        if chunk:
            data += self._format_chunk(chunk)
        return self._write(data)

    def _format_chunk(self, chunk: bytes) -> bytes:
        if self._discard_body:
            return b""
        if self._expected_content_remaining is not None:
            self._expected_content_remaining -= len(chunk)
            if self._expected_content_remaining < 0:
                self.stream.close()
                raise HTTPOutputError("Tried to write more data than Content-Length")
        if self._chunking_output and chunk:
            return b"%x\r\n%b\r\n" % (len(chunk), chunk)
        return chunk

    def _write(self, data: bytes) -> asyncio.Future[None]:
        """Hand ``data`` to the stream; the future resolves once the kernel has it.

        Like Tornado's, the returned future never fails once the stream accepted
        the bytes (a connection lost later is reported through the close
        callback, not to whoever awaits a write). When the transport took every
        byte at once, the stream's own (already resolved) future is returned: no
        second future and no loop callback, which is the common case for small
        responses. Only a write that stays buffered gets the wrapper that hides a
        later ``StreamClosedError``.
        """
        stream = self.stream
        if stream.closed():
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            future.set_exception(StreamClosedError())
            future.exception()
            return future
        if not data:
            future = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        pending = stream.write(data)
        if pending.done() and not pending.cancelled() and pending.exception() is None:
            self._pending_write = None
            return pending
        self._pending_write = pending
        future = asyncio.get_running_loop().create_future()

        def done(f: asyncio.Future[None]) -> None:
            _retrieve(f)
            if not future.done():
                future.set_result(None)

        pending.add_done_callback(done)
        return future

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        """Write a body chunk (framed as a chunk when the response is chunked).

        Args:
            chunk: body bytes; dropped for responses that carry no body.

        Returns:
            A ``Future`` resolved when the data has been written to the kernel.

        Raises:
            HTTPOutputError: before ``write_headers``, after ``finish``, or when more
                than the declared ``Content-Length`` would be written (the connection
                is closed).
        """
        if not self._response_started:
            raise HTTPOutputError("write() called before write_headers()")
        if self._write_finished:
            raise HTTPOutputError("write() called after finish()")
        return self._write(self._format_chunk(chunk))

    def finish(self) -> None:
        """Complete the response: write the last chunk if chunked, then read the next request.

        Raises:
            HTTPOutputError: before ``write_headers``, or fewer bytes than the declared
                ``Content-Length`` were written (the connection is closed).
        """
        if not self._response_started:
            raise HTTPOutputError("finish() called before write_headers()")
        if self._write_finished:
            raise HTTPOutputError("finish() called twice")
        remaining = self._expected_content_remaining
        if remaining and not self.stream.closed():
            self.stream.close()
            raise HTTPOutputError(f"Tried to write {remaining} bytes less than Content-Length")
        if self._chunking_output and not self.stream.closed():
            self._write(b"0\r\n\r\n")
        self._write_finished = True
        if self.is_client:
            return  # read_response() decides what happens to the stream
        if not self._read_finished:
            # Answered before the body was read: the rest of it cannot be skipped safely.
            self._disconnect_on_finish = True
        pending = self._pending_write
        if pending is None or pending.done():
            self._finish_request()
        else:
            pending.add_done_callback(lambda _f: self._finish_request())

    def _finish_request(self) -> None:
        self._stop_watching()
        if self._disconnect_on_finish:
            self.close()
            return
        self._release()
