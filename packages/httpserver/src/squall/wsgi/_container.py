"""WSGIContainer: run a PEP 3333 application behind squall's HTTP server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Callable, Iterable
from typing import Any

from squall.concurrent import dummy_executor
from squall.httputil import (
    HTTPHeaders,
    HTTPOutputError,
    HTTPServerRequest,
    ResponseStartLine,
)
from squall.iostream import StreamClosedError
from squall.log import access_log, app_log
from squall.wsgi._environ import make_environ
from squall.wsgi._response import WSGIResponse
from squall.wsgi._version import server_software

WSGIAppType = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Requests being served; referenced so the event loop cannot drop their tasks.
_RUNNING: set[asyncio.Task[None]] = set()
_DONE = object()
_ERROR_BODY = (
    b"<html><title>500: Internal Server Error</title>"
    b"<body>500: Internal Server Error</body></html>"
)


class _ClientGoneError(Exception):
    """The client closed the connection while the response was being sent."""


class WSGIContainer:
    """Makes a WSGI application runnable on squall's HTTP server (Tornado's ``WSGIContainer``).

    A ``WSGIContainer`` is a request callable: pass it to ``HTTPServer``, use it
    as the target of a ``squall.routing`` rule, or mount it in a
    ``squall.web.Application`` with ``FallbackHandler``::

        from concurrent.futures import ThreadPoolExecutor
        from flask import Flask

        flask_app = Flask(__name__)
        container = WSGIContainer(flask_app, executor=ThreadPoolExecutor(8))
        HTTPServer(container).listen(8888)

    The request body is read completely before the application is called
    (``wsgi.input`` is a ``BytesIO`` of it). PEP 3333 is followed: the ``environ``
    keys (see ``environ``), ``start_response`` with ``exc_info`` (re-raised once
    the headers are out), the ``write`` callable (its data is buffered and sent
    before the iterable's), headers sent only with the first non-empty body chunk,
    and the iterable's ``close()`` always called. The application, every step of its
    iterable and ``close()`` run on ``executor``; the response is written on the
    event loop.

    Responses: a ``list`` or ``tuple`` body is sent in one piece, with a
    ``Content-Length`` added when the application gave none (Tornado's behaviour);
    any other iterable (a generator, Flask's ``stream_with_context``) is streamed,
    each chunk written as it is produced, chunked on HTTP/1.1 when there is no
    ``Content-Length`` (Tornado buffers the whole body instead). ``Content-Type``
    defaults to ``text/html; charset=UTF-8`` and ``Server`` to
    ``SquallServer/<squall-httpserver version>``, as Tornado does. An exception from
    the application before anything was sent is logged on ``squall.application``
    and answered ``500`` (Tornado logs it and leaves the request unanswered); after
    the headers went out the connection is closed. Each request is logged on
    ``squall.access`` like a ``RequestHandler``'s.

    Args:
        wsgi_application: the PEP 3333 application, ``app(environ, start_response)``
            returning an iterable of ``bytes``.
        executor: a ``concurrent.futures.Executor`` to run the application on,
            typically a ``ThreadPoolExecutor`` (a ``ProcessPoolExecutor`` cannot
            work: the callables do not pickle). ``None`` keeps Tornado 6's default:
            the application runs on the event loop's thread, one request at a time,
            blocking everything else while it runs (deprecated in Tornado 6.3, whose
            docs recommend passing a ``ThreadPoolExecutor``, after checking the
            application is thread-safe).

    Attributes:
        wsgi_application: the application.
        executor (concurrent.futures.Executor): the executor (``dummy_executor`` for
            ``None``).
    """

    def __init__(
        self,
        wsgi_application: WSGIAppType,
        executor: concurrent.futures.Executor | None = None,
    ) -> None:
        self.wsgi_application = wsgi_application
        self.executor: concurrent.futures.Executor = (
            dummy_executor if executor is None else executor
        )

    def __call__(self, request: HTTPServerRequest) -> None:
        """Start serving ``request`` (the ``HTTPServer`` request-callable interface).

        Must be called on the event loop's thread; the response is written later
        by ``handle_request``, run as a task.

        Args:
            request: the request, body read, with its ``connection``.
        """
        task = asyncio.get_running_loop().create_task(self.handle_request(request))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)

    def environ(self, request: HTTPServerRequest) -> dict[str, Any]:
        """The PEP 3333 ``environ`` for a request.

        CGI variables: ``REQUEST_METHOD``, ``SCRIPT_NAME`` (``""``), ``PATH_INFO``
        (the percent-decoded path as a Latin-1 "native string"), ``QUERY_STRING``,
        ``CONTENT_TYPE`` and ``CONTENT_LENGTH`` (the length of the de-chunked,
        decompressed body), ``SERVER_NAME`` / ``SERVER_PORT`` (from ``Host``, else
        80 or 443), ``SERVER_PROTOCOL``, ``SERVER_SOFTWARE``, ``REMOTE_ADDR`` and one
        ``HTTP_*`` per request header field (repeated fields joined with ``,``,
        ``Cookie`` with ``; ``; names containing ``_`` are dropped, unlike Tornado,
        so they cannot pass for the ``-`` spelling). WSGI variables: ``wsgi.version``
        ``(1, 0)``, ``wsgi.url_scheme``, ``wsgi.input`` (a ``BytesIO`` of the body),
        ``wsgi.errors`` (``sys.stderr``), ``wsgi.multithread`` (True unless running
        on the loop thread), ``wsgi.multiprocess`` (True), ``wsgi.run_once`` (False)
        and ``wsgi.input_terminated`` (True).

        Args:
            request: the request.

        Returns:
            A new ``dict``.
        """
        return make_environ(request, multithread=self.executor is not dummy_executor)

    async def handle_request(self, request: HTTPServerRequest) -> None:
        """Run the application for ``request`` and write its response.

        Args:
            request: the request, body read, with its ``connection``.
        """
        connection = request.connection
        assert connection is not None
        response = WSGIResponse()
        gone = asyncio.Event()
        connection.set_close_callback(gone.set)
        calls = _AppCalls(self.executor)
        result: Any = None
        outcome = "failed"
        try:
            environ = self.environ(request)
            result = await calls.start(self.wsgi_application, environ, response.start_response)
            await self._send(request, response, result, gone, calls)
            outcome = "sent"
        except (_ClientGoneError, StreamClosedError):
            outcome = "gone"
        except Exception:
            app_log.error("Uncaught exception in WSGI application: %r", request, exc_info=True)
        finally:
            connection.set_close_callback(None)
            # PEP 3333: close() is called in every case; before finish(), so the
            # request is complete (and the next one may start) only after it. It
            # runs behind the app call on the same lock, so it also closes what
            # the app returns after this task stopped waiting for it (cancelled),
            # and it still runs if this task is cancelled while waiting for it.
            try:
                await calls.close_iterable()
            except Exception:
                app_log.error("Exception closing the WSGI response iterable", exc_info=True)
        if outcome == "sent":
            try:
                connection.finish()
            except HTTPOutputError:
                app_log.error("WSGI response does not match its Content-Length: %r", request)
            self._log(response.code or 500, request)
        elif outcome == "failed":
            await self._fail(request, response)

    async def _send(
        self,
        request: HTTPServerRequest,
        response: WSGIResponse,
        result: Any,
        gone: asyncio.Event,
        calls: _AppCalls,
    ) -> None:
        connection = request.connection
        assert connection is not None
        if isinstance(result, list | tuple):
            body = b"".join([response.take_pending(), *map(response.take_pending, result)])
            await self._write_head(request, response, body, complete=True)
        else:
            iterator = await calls(iter, result)
            while True:
                chunk = await calls(next, iterator, _DONE)
                if gone.is_set():
                    raise _ClientGoneError()
                if chunk is _DONE:
                    break
                data = response.take_pending(chunk)
                if not data:
                    continue
                if response.headers_sent:
                    await connection.write(data)
                else:
                    await self._write_head(request, response, data, complete=False)
            data = response.take_pending()
            if not response.headers_sent:
                await self._write_head(request, response, data, complete=True)
            elif data:
                await connection.write(data)

    def _write_head(
        self, request: HTTPServerRequest, response: WSGIResponse, body: bytes, complete: bool
    ) -> asyncio.Future[None]:
        """Send the status line and headers with the first body bytes."""
        if response.code is None:
            raise RuntimeError("WSGI application did not call start_response")
        code = response.code
        headers = HTTPHeaders()
        for name, value in response.headers:
            headers.add(name, value)
        if code >= 200 and code not in (204, 304):
            head_without_body = request.method == "HEAD" and not body
            if complete and "Content-Length" not in headers and not head_without_body:
                headers["Content-Length"] = str(len(body))
            if "Content-Type" not in headers:
                headers["Content-Type"] = "text/html; charset=UTF-8"
        if "Server" not in headers:
            headers["Server"] = server_software
        start_line = ResponseStartLine("HTTP/1.1", code, response.reason)
        assert request.connection is not None
        future = request.connection.write_headers(start_line, headers, body)
        response.headers_sent = True
        return future

    async def _fail(self, request: HTTPServerRequest, response: WSGIResponse) -> None:
        """Answer 500 if nothing was sent yet, else drop the connection."""
        connection = request.connection
        assert connection is not None
        if response.headers_sent:
            close = getattr(connection, "close", None)
            if close is not None:
                close()
            return
        headers = HTTPHeaders(
            {
                "Content-Type": "text/html; charset=UTF-8",
                "Content-Length": str(len(_ERROR_BODY)),
                "Server": server_software,
            }
        )
        start_line = ResponseStartLine("HTTP/1.1", 500, "Internal Server Error")
        try:
            await connection.write_headers(start_line, headers, _ERROR_BODY)
            connection.finish()
        except (StreamClosedError, HTTPOutputError):
            return
        self._log(500, request)

    def _log(self, status_code: int, request: HTTPServerRequest) -> None:
        """One access-log line, in ``RequestHandler``'s format."""
        if status_code < 400:
            log_method = access_log.info
        elif status_code < 500:
            log_method = access_log.warning
        else:
            log_method = access_log.error
        request_time = 1000.0 * request.request_time()
        summary = f"{request.method} {request.uri} ({request.remote_ip})"
        log_method("%d %s %.2fms", status_code, summary, request_time)


class _AppCalls:
    """Runs one request's calls into the application on the executor, one at a time.

    Every call runs in one ``contextvars`` context, as if on one thread: context
    variables set by the app call (Flask's request context) must still be there
    when its generator is resumed on another worker. The lock keeps the calls in
    sequence even when the request's task is cancelled while a step still runs
    on a worker: the ``close()`` that PEP 3333 requires then waits for that step
    instead of failing with "generator already executing" (or "context already
    entered") and leaving the iterable unclosed.
    """

    __slots__ = ("_context", "_executor", "_lock", "iterable")

    def __init__(self, executor: concurrent.futures.Executor) -> None:
        self._executor = executor
        self._context = contextvars.copy_context()
        self._lock = threading.Lock()
        #: what the application returned, set on the worker as soon as it returns
        self.iterable: Any = None

    def start(self, app: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Call the application; its return value is also kept in ``iterable``."""
        return self(self._start, app, *args)

    def _start(self, app: Callable[..., Any], *args: Any) -> Any:
        self.iterable = app(*args)
        return self.iterable

    def close_iterable(self) -> asyncio.Future[None]:
        """Call the returned iterable's ``close()`` (if any) on the executor.

        Shielded: cancelling the returned future does not cancel the job, which
        would otherwise be dropped from the executor's queue unrun (asyncio cancels
        an executor job whose future is cancelled before a worker takes it).
        """
        job = self._executor.submit(self._locked, self._close_iterable)
        return asyncio.shield(asyncio.wrap_future(job))

    def _close_iterable(self) -> None:
        close = getattr(self.iterable, "close", None)
        if close is not None:
            close()

    def __call__(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, self._locked, fn, *args)

    def _locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            return self._context.run(fn, *args)
