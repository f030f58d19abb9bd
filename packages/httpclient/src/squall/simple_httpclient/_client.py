"""SimpleAsyncHTTPClient: the pure-Python HTTP/1.1 client."""

from __future__ import annotations

import asyncio
import collections
import io
import socket
import time
import urllib.parse
from collections.abc import Callable, Hashable
from typing import Any

from squall.http1connection import HTTP1Connection, HTTP1ConnectionParameters
from squall.httpclient import (
    AsyncHTTPClient,
    HTTPClientError,
    HTTPRequest,
    HTTPResponse,
    HTTPStreamClosedError,
    HTTPTimeoutError,
)
from squall.httpclient._request import _RequestProxy
from squall.httputil import HTTPHeaders, HTTPInputError, HTTPOutputError, RequestStartLine
from squall.iostream import IOStream, StreamClosedError
from squall.log import gen_log
from squall.netutil import OverrideResolver, Resolver
from squall.simple_httpclient._auth import digest_auth_header, parse_digest_challenge
from squall.simple_httpclient._deadlines import Deadline, Deadlines
from squall.simple_httpclient._exchange import Exchange
from squall.simple_httpclient._pool import ConnectionPool
from squall.simple_httpclient._prepare import (
    DEFAULT_USER_AGENT,
    Target,
    build_headers,
    check_request,
    credentials,
    parse_target,
    tls_settings,
)
from squall.simple_httpclient._proxy import Proxy, digest_challenge, open_tunnel, proxy_for
from squall.tcpclient import TCPClient

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
#: Methods safe to resend when a reused keep-alive connection turns out closed
#: (RFC 9110 §9.2.2: idempotent methods).
_RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
#: Methods whose head gets ``Transfer-Encoding: chunked`` added by ``write_headers``
#: when it has no ``Content-Length`` (``http1connection``'s rule, Tornado's).
_CHUNKING_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Fields that carry credentials: never sent to another origin after a redirect.
_CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Proxy-Authorization")
# Fields describing a body: dropped when a redirect turns the request into a GET.
_BODY_HEADERS = ("Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding")


class SimpleAsyncHTTPClient(AsyncHTTPClient):
    """The default ``AsyncHTTPClient``: HTTP/1.1 on squall's own streams.

    Follows Tornado's ``tornado.simple_httpclient.SimpleAsyncHTTPClient``: at most
    ``max_clients`` requests run at once and the rest wait in a queue (a request
    still queued after ``min(connect_timeout, request_timeout)`` fails with
    ``HTTPTimeoutError("Timeout in request queue")``).

    Beyond Tornado: connections are kept alive and reused (per scheme, host, port,
    address family, source address and TLS settings) instead of sending
    ``Connection: close``; redirects never carry ``Authorization``, ``Cookie`` or
    ``Proxy-Authorization`` to another origin and never go from https to http;
    ``auth_mode="digest"`` is supported; decompressed bodies count against
    ``max_body_size``; HTTP proxies are supported (Tornado supports them only with
    its curl client): ``http://`` requests are sent to the proxy in absolute-form,
    ``https://`` ones through a ``CONNECT`` tunnel with TLS to the origin inside it,
    and ``proxy_auth_mode`` may be ``"basic"`` or ``"digest"``. The proxy
    credentials only ever reach the proxy (in a tunnel, only the ``CONNECT``
    carries them; a ``Proxy-Authorization`` set in ``headers`` is not sent to an
    https origin), and pooled connections are keyed with the proxy and its
    credentials.

    Args:
        max_clients: most concurrent requests.
        hostname_mapping: ``dict`` rewriting host names (or ``(host, port)``
            pairs) before resolution (an ``OverrideResolver``).
        max_buffer_size: the stream read buffer limit in bytes (default 100 MiB).
        resolver: a ``squall.netutil.Resolver`` (default: a new one, closed with
            the client).
        defaults: ``HTTPRequest`` argument defaults.
        max_header_size: largest response head in bytes (default 64 KiB).
        max_body_size: largest response body in bytes, after decompression
            (default ``max_buffer_size``).
        idle_connection_timeout: seconds (``float``) an idle kept-alive connection
            stays open (default 60).
        max_connections_per_host: most concurrent requests to one pool key
            (default: ``max_clients``); extra ones wait in the queue. Also the most
            idle connections kept per key.
    """

    def initialize(  # type: ignore[override]  # noqa: PLR0917 - Tornado's signature
        self,
        max_clients: int = 10,
        hostname_mapping: dict[Any, Any] | None = None,
        max_buffer_size: int = 104857600,
        resolver: Resolver | None = None,
        defaults: dict[str, Any] | None = None,
        max_header_size: int | None = None,
        max_body_size: int | None = None,
        idle_connection_timeout: float = 60.0,
        max_connections_per_host: int | None = None,
    ) -> None:
        """Set up the client (see the class arguments)."""
        super().initialize(defaults=defaults)
        self.max_clients = max_clients
        self.queue: collections.deque[tuple[object, Any, Callable[[HTTPResponse], None], Any]]
        self.queue = collections.deque()
        self.active: dict[object, tuple[Any, Callable[[HTTPResponse], None]]] = {}
        # When each queued request was queued (time.monotonic()), for time_info["queue"].
        self._enqueued: dict[object, float] = {}
        self.waiting: dict[
            object, tuple[Any, Callable[[HTTPResponse], None], asyncio.TimerHandle | None]
        ] = {}
        self.max_buffer_size = max_buffer_size
        self.max_header_size = max_header_size
        self.max_body_size = max_body_size
        self.max_connections_per_host = max_connections_per_host or max_clients
        if resolver is not None:
            self.resolver = resolver
            self.own_resolver = False
        else:
            self.resolver = Resolver()
            self.own_resolver = True
        if hostname_mapping is not None:
            self.resolver = OverrideResolver(resolver=self.resolver, mapping=hostname_mapping)
        self.tcp_client = TCPClient(resolver=self.resolver)
        self._pool = ConnectionPool(idle_connection_timeout, self.max_connections_per_host)
        self._deadlines = Deadlines()
        self._per_host: collections.Counter[Any] = collections.Counter()
        # Running fetch tasks (strong references) and what _on_cancelled needs.
        self._tasks: dict[
            asyncio.Task[None], tuple[object, Any, Any, Callable[[HTTPResponse], None]]
        ] = {}
        # Connection parameters by (no_keep_alive, decompress): built once each.
        self._params: dict[tuple[bool, bool], HTTP1ConnectionParameters] = {}

    def close(self) -> None:
        """Close idle pooled connections, the resolver (if the client made it) and the client.

        Requests in progress run to completion, as in Tornado.
        """
        if self._closed:
            return
        super().close()
        self._pool.close()
        self._deadlines.close()
        if self.own_resolver:
            self.resolver.close()
        self.tcp_client.close()

    # -- queueing (Tornado's fetch_impl / _process_queue / _on_timeout) --------------

    def fetch_impl(self, request: HTTPRequest, callback: Callable[[HTTPResponse], None]) -> None:
        """Queue ``request``; ``callback(response)`` runs once it completes or fails."""
        key = object()
        host_key = self._host_key(request)
        if (
            not self.queue
            and len(self.active) < self.max_clients
            and self._per_host[host_key] < self.max_connections_per_host
        ):
            # Nothing is queued and there is room: start at once, as
            # _process_queue would, without the queue and timer bookkeeping.
            self._start(key, request, callback, host_key, 0.0)
            return
        self._enqueued[key] = time.monotonic()
        self.queue.append((key, request, callback, host_key))
        self.waiting[key] = (request, callback, None)
        self._process_queue()
        if key in self.waiting:
            # Still queued: fail it if it waits longer than its timeouts allow.
            timeouts = [t for t in (request.connect_timeout, request.request_timeout) if t]
            if timeouts:
                handle = asyncio.get_running_loop().call_later(
                    min(timeouts), self._on_timeout, key, "in request queue"
                )
                self.waiting[key] = (request, callback, handle)
        if self.queue:
            gen_log.debug(
                "max_clients limit reached, request queued. %d active, %d queued requests.",
                len(self.active),
                len(self.queue),
            )

    @staticmethod
    def _host_key(request: Any) -> Any:
        try:
            return parse_target(request.url).origin
        except ValueError:
            return None

    def _process_queue(self) -> None:
        queue = self.queue
        i = 0
        while i < len(queue) and len(self.active) < self.max_clients:
            key, _request, _callback, host_key = queue[i]
            if key not in self.waiting:
                del queue[i]
                self._enqueued.pop(key, None)
                continue
            if host_key is not None and self._per_host[host_key] >= self.max_connections_per_host:
                i += 1
                continue
            del queue[i]
            request, callback, handle = self.waiting.pop(key)
            if handle is not None:
                handle.cancel()
            now = time.monotonic()
            queued = now - self._enqueued.pop(key, now)
            self._start(key, request, callback, host_key, queued)

    def _start(
        self,
        key: object,
        request: Any,
        callback: Callable[[HTTPResponse], None],
        host_key: Any,
        queued: float,
    ) -> None:
        self.active[key] = (request, callback)
        self._per_host[host_key] += 1
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._run(key, host_key, request, callback, queued))
        self._tasks[task] = (key, host_key, request, callback)
        # Only for a task cancelled before it finished (even before it started, when
        # its code never runs): a task that completes removes this callback and
        # finishes the fetch itself, saving a loop callback per request.
        task.add_done_callback(self._on_cancelled)

    def _on_cancelled(self, task: asyncio.Task[None]) -> None:
        key, host_key, request, callback = self._tasks.pop(task)
        response = HTTPResponse(request, 599, error=HTTPStreamClosedError("Cancelled"))
        self._finish_fetch(key, host_key, callback, response)

    def _finish_fetch(
        self,
        key: object,
        host_key: Any,
        callback: Callable[[HTTPResponse], None],
        response: HTTPResponse,
    ) -> None:
        self.active.pop(key, None)
        self._per_host[host_key] -= 1
        if self._per_host[host_key] <= 0:
            del self._per_host[host_key]
        self._process_queue()
        callback(response)

    def _on_timeout(self, key: object, info: str) -> None:
        request, callback, _handle = self.waiting.pop(key)
        now = time.monotonic()
        queued = now - self._enqueued.pop(key, now)
        self.queue = collections.deque(item for item in self.queue if item[0] is not key)
        response = HTTPResponse(
            request,
            599,
            error=HTTPTimeoutError(f"Timeout {info}"),
            request_time=time.time() - request.start_time,
            time_info={"queue": queued},
        )
        callback(response)

    # -- one fetch, following redirects ---------------------------------------------

    async def _run(
        self,
        key: object,
        host_key: Any,
        request: Any,
        callback: Callable[[HTTPResponse], None],
        queued: float,
    ) -> None:
        # Durations use time.monotonic() (a C call; loop.time() is a Python method).
        start, start_wall = time.monotonic(), time.time()
        task = asyncio.current_task()
        assert task is not None
        try:
            response = await self._fetch(request, start, start_wall, task, queued)
        except Exception as e:
            elapsed = time.monotonic() - start
            response = HTTPResponse(
                request,
                599,
                error=_map_error(e),
                request_time=elapsed,
                start_time=start_wall,
                time_info={"queue": queued, "total": elapsed},
            )
        # Finish here, in the task (a cancellation raised above is left to
        # _on_cancelled, which is still registered then).
        task.remove_done_callback(self._on_cancelled)
        self._tasks.pop(task, None)
        try:
            self._finish_fetch(key, host_key, callback, response)
        except Exception:
            # As the loop would report an exception from a done callback.
            gen_log.error("Exception in HTTP client callback", exc_info=True)

    async def _fetch(
        self,
        request: Any,
        start: float,
        start_wall: float,
        task: asyncio.Task[None],
        queued: float,
    ) -> HTTPResponse:
        original = request.request
        current = request
        redirects_left = current.max_redirects or 0
        digest: str | None = None
        digest_tried = False
        proxy_challenge: dict[str, str] | None = None
        proxy_digest_tried = False
        while True:
            hop_start = time.monotonic()
            check_request(current)
            proxy = proxy_for(current)
            target = parse_target(current.url)
            creds = credentials(current, target)
            headers = build_headers(current, target, creds)
            if digest is not None:
                headers["Authorization"] = digest
            request_target = target.path
            if proxy is not None:
                # A user-set Proxy-Authorization is meant for the proxy: never
                # let it through a tunnel to the origin.
                if "Proxy-Authorization" in headers and target.scheme == "https":
                    del headers["Proxy-Authorization"]
                if target.scheme == "http":
                    # RFC 9112 §3.2.2: absolute-form to a proxy.
                    request_target = f"http://{target.netloc}{target.path}"
                    auth = proxy.authorization(current.method, request_target, proxy_challenge)
                    if auth is not None:
                        headers["Proxy-Authorization"] = auth
            wants_proxy_digest = (
                proxy is not None
                and target.scheme == "http"
                and proxy.username is not None
                and proxy.auth_mode == "digest"
                and not proxy_digest_tried
                and current.body_producer is None
            )
            follow = bool(current.follow_redirects) and redirects_left > 0
            wants_digest = (
                creds is not None
                and current.auth_mode == "digest"
                and not digest_tried
                and current.body_producer is None
            )
            decision: dict[str, Any] = {}

            def discard(
                code: int,
                hdrs: HTTPHeaders,
                *,
                current: Any = current,
                follow: bool = follow,
                wants_digest: bool = wants_digest,
                wants_proxy_digest: bool = wants_proxy_digest,
                decision: dict[str, Any] = decision,
            ) -> bool:
                if code == 407 and wants_proxy_digest:
                    challenge = digest_challenge(hdrs)
                    if challenge is not None:
                        decision["proxy_challenge"] = challenge
                        return True
                if code == 401 and wants_digest:
                    for value in hdrs.get_list("WWW-Authenticate"):
                        challenge = parse_digest_challenge(value)
                        if challenge is not None:
                            decision["challenge"] = challenge
                            return True
                if follow and code in _REDIRECT_CODES and "Location" in hdrs:
                    return _redirect_decision(current.url, hdrs["Location"], decision)
                return False

            ex = await self._exchange(
                current, target, headers, discard, proxy, request_target, task
            )
            assert ex.code is not None
            if "proxy_challenge" in decision:
                proxy_digest_tried = True
                proxy_challenge = decision["proxy_challenge"]
                continue
            if "challenge" in decision and creds is not None:
                digest_tried = True
                digest = digest_auth_header(
                    decision["challenge"], creds[0], creds[1], current.method, target.path
                )
                if digest is not None:
                    continue
            if "url" in decision:
                current = _redirected_request(current, ex.code, decision["url"], original)
                redirects_left -= 1
                digest, digest_tried = None, False
                proxy_challenge, proxy_digest_tried = None, False
                continue
            body = b"" if current.streaming_callback is not None else b"".join(ex.chunks)
            error = None
            if "refused" in decision:
                error = HTTPClientError(ex.code, decision["refused"])
            total = time.monotonic() - start
            return HTTPResponse(
                original,
                ex.code,
                reason=ex.reason,
                headers=ex.headers,
                request_time=total,
                time_info=_time_info(queued, start, hop_start, ex, total),
                start_time=start_wall,
                buffer=io.BytesIO(body),
                effective_url=current.url,
                error=error,
            )

    async def _exchange(  # noqa: PLR0917
        self,
        request: Any,
        target: Target,
        headers: HTTPHeaders,
        discard: Callable[[int, HTTPHeaders], bool],
        proxy: Proxy | None,
        request_target: str,
        task: asyncio.Task[None],
    ) -> Exchange:
        phase = ["connecting"]
        timeout = request.request_timeout
        # What ``asyncio.timeout`` does (cancel the task at the deadline and turn that
        # cancellation, and only that one, into a timeout), with the client's shared
        # deadline timer instead of a timer handle per request (see _deadlines).
        deadline: Deadline | None = None
        cancelling = 0
        if timeout:
            cancelling = task.cancelling()
            loop = asyncio.get_running_loop()
            deadline = self._deadlines.add(loop, loop.time() + timeout, task)
        try:
            ex = await self._exchange_on_stream(
                request, target, headers, discard, phase, proxy, request_target
            )
        except BaseException as e:
            timed_out = isinstance(e, TimeoutError)
            if deadline is not None:
                self._deadlines.remove(deadline)
                if deadline.expired and task.uncancel() <= cancelling:
                    timed_out = timed_out or isinstance(e, asyncio.CancelledError)
            if not timed_out:
                raise
            if phase[0] == "connecting":
                raise HTTPTimeoutError("Timeout while connecting") from None
            raise HTTPTimeoutError("Timeout during request") from None
        if deadline is not None:
            self._deadlines.remove(deadline)
            if deadline.expired:
                task.uncancel()
        return ex

    async def _exchange_on_stream(  # noqa: PLR0917
        self,
        request: Any,
        target: Target,
        headers: HTTPHeaders,
        discard: Callable[[int, HTTPHeaders], bool],
        phase: list[str],
        proxy: Proxy | None,
        request_target: str,
    ) -> Exchange:
        tls: Any = None
        tls_key: Any = None
        if target.scheme == "https":
            tls, tls_key = tls_settings(request)
        af = socket.AF_INET if request.allow_ipv6 is False else socket.AF_UNSPEC
        pool_key: Hashable | None = None
        if tls is None or tls_key is not None:
            if proxy is not None and tls is None:
                # Plain requests through a proxy share its connections whatever
                # the origin (each request names its own in absolute-form).
                pool_key = ("http", proxy.key, af, request.network_interface)
            else:
                pool_key = (
                    target.scheme,
                    target.host.lower(),
                    target.port,
                    af,
                    request.network_interface,
                    tls_key,
                    None if proxy is None else proxy.key,
                )
        params_key = (pool_key is None, bool(request.decompress_response))
        params = self._params.get(params_key)
        if params is None:
            params = self._params[params_key] = HTTP1ConnectionParameters(
                no_keep_alive=params_key[0],
                max_header_size=self.max_header_size,
                max_body_size=self.max_body_size or self.max_buffer_size,
                decompress=params_key[1],
            )
        start_line = RequestStartLine(request.method, request_target, "HTTP/1.1")
        for attempt in (0, 1):
            stream: IOStream | None = None
            if pool_key is not None and attempt == 0:
                stream = self._pool.get(pool_key)
            reused = stream is not None
            if stream is None:
                phase[0] = "connecting"
                stream = await self._connect(request, target, af, tls, proxy)
            phase[0] = "request"
            conn = HTTP1Connection(stream, True, params, f"{target.host}:{target.port}")
            ex = Exchange(conn, request, discard)
            ex.connect_time = time.monotonic()
            send_headers = headers
            if attempt == 0 and reused and request.method in _CHUNKING_METHODS:
                # The head writer may add Transfer-Encoding (Connection: close only
                # on connections that are not pooled, hence never reused): the retry
                # needs the original set.
                send_headers = HTTPHeaders._from_pairs(headers.get_all())
            try:
                ok = await ex.send(start_line, send_headers)
            except HTTPOutputError as e:
                stream.close()
                raise ValueError(str(e)) from e
            except BaseException:
                stream.close()
                raise
            if ok:
                if pool_key is not None and not stream.closed():
                    self._pool.put(pool_key, stream)
                else:
                    stream.close()
                return ex
            error = stream.error
            stream.close()
            if (
                reused
                and ex.code is None
                and request.method in _RETRYABLE_METHODS
                and request.body_producer is None
            ):
                continue  # the server closed the idle connection: retry once, fresh
            if isinstance(error, Exception) and not isinstance(error, StreamClosedError):
                raise error
            raise HTTPStreamClosedError("Connection closed")
        raise AssertionError("unreachable")

    async def _connect(
        self, request: Any, target: Target, af: socket.AddressFamily, tls: Any, proxy: Proxy | None
    ) -> IOStream:
        """A new connection for ``target``: direct, to the proxy, or tunnelled through it."""
        connect_timeout = request.connect_timeout or None
        if proxy is None:
            return await self.tcp_client.connect(
                target.host,
                target.port,
                af=af,
                ssl_options=tls,
                max_buffer_size=self.max_buffer_size,
                source_ip=request.network_interface,
                timeout=connect_timeout,
            )
        stream = await self.tcp_client.connect(
            proxy.host,
            proxy.port,
            af=af,
            max_buffer_size=self.max_buffer_size,
            source_ip=request.network_interface,
            timeout=connect_timeout,
        )
        if tls is None:
            return stream
        try:
            async with asyncio.timeout(connect_timeout):
                host = target.host
                authority = f"[{host}]:{target.port}" if ":" in host else f"{host}:{target.port}"
                agent = request.user_agent or DEFAULT_USER_AGENT
                stream = await open_tunnel(stream, proxy, authority, agent)
                return await stream.start_tls(False, tls, server_hostname=host)
        except BaseException:
            stream.close()
            raise


def _time_info(
    queued: float, start: float, hop_start: float, ex: Exchange, total: float
) -> dict[str, float]:
    """``HTTPResponse.time_info``: what this client can measure, in seconds.

    ``queue``: waiting for a ``max_clients`` slot (Tornado's key); then, from the
    start of the request, curl's names where the meaning is the same: ``redirect``
    (the hops before the last: redirects, authentication challenges), ``connect``
    (the last hop's connection ready: TCP, proxy tunnel and TLS done, or a pooled
    one taken), ``starttransfer`` (its final response head received) and ``total``.
    """
    head = ex.head_time if ex.head_time is not None else start + total
    return {
        "queue": queued,
        "redirect": hop_start - start,
        "connect": ex.connect_time - start,
        "starttransfer": head - start,
        "total": total,
    }


def _redirect_decision(url: str, location: str, decision: dict[str, Any]) -> bool:
    """Decide whether to follow a redirect to ``location``; record why not."""
    new_url = urllib.parse.urljoin(url, location)
    try:
        new_target = parse_target(new_url)
    except ValueError as e:
        decision["refused"] = f"Not following redirect: {e}"
        return False
    if urllib.parse.urlsplit(url).scheme.lower() == "https" and new_target.scheme == "http":
        decision["refused"] = f"Refusing to follow a redirect from https to http ({new_url})"
        return False
    decision["url"] = new_url
    return True


def _redirected_request(current: Any, code: int, new_url: str, original: HTTPRequest) -> Any:
    """The request for the next hop (Tornado's rules, plus credential stripping)."""
    old = current.request
    new = HTTPRequest.__new__(HTTPRequest)
    new.__dict__.update(old.__dict__)
    new.headers = HTTPHeaders(old.headers)
    new.url = new_url
    new.original_request = original
    if "Host" in new.headers:
        del new.headers["Host"]
    method = old.method
    # RFC 9110 §15.4: 303 means "GET it"; browsers (and Tornado) also turn a
    # POST answered with 301 or 302 into a GET.
    if (code in (301, 302) and method == "POST") or (code == 303 and method != "HEAD"):
        new.method = "GET"
        new.body = None
        new.body_producer = None
        for name in _BODY_HEADERS:
            if name in new.headers:
                del new.headers[name]
    if parse_target(current.url).origin != parse_target(new_url).origin:
        for name in _CREDENTIAL_HEADERS:
            if name in new.headers:
                del new.headers[name]
        new.auth_username = new.auth_password = None
        new.proxy_username = new.proxy_password = None
    return _RequestProxy(new, current.defaults)


def _map_error(e: Exception) -> BaseException:
    """Turn lower-layer exceptions into what Tornado's client reports."""
    if isinstance(e, StreamClosedError):
        real = e.real_error
        if isinstance(real, BaseException):
            return real
        return HTTPStreamClosedError("Stream closed")
    if isinstance(e, HTTPInputError):
        error = HTTPClientError(599, f"Malformed HTTP response: {e}")
        error.__cause__ = e
        return error
    return e
