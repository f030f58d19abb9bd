"""HTTPRequest: everything about one request, and the defaults proxy."""

from __future__ import annotations

import datetime
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

from squall.httputil import HTTPHeaders, format_timestamp

#: Values used for arguments left ``None`` (Tornado's ``HTTPRequest._DEFAULTS``).
_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 20.0,
    "request_timeout": 20.0,
    "follow_redirects": True,
    "max_redirects": 5,
    "decompress_response": True,
    "proxy_password": "",
    "allow_nonstandard_methods": False,
    "validate_cert": True,
}


class HTTPRequest:
    """One HTTP request (Tornado's ``tornado.httpclient.HTTPRequest``).

    Every argument but ``url`` is optional; arguments left ``None`` take the
    client's defaults (``AsyncHTTPClient(defaults=...)``), then these: 20 s
    connect and request timeouts, follow up to 5 redirects, decompress responses,
    verify TLS certificates.

    Args:
        url: the URL (``str``), ``http://`` or ``https://``.
        method: the request method (``"GET"``).
        headers: ``HTTPHeaders`` or a ``dict`` of extra request headers.
        body: the request body (``str`` is UTF-8 encoded); see
            ``allow_nonstandard_methods``.
        auth_username: user name for HTTP authentication.
        auth_password: password for HTTP authentication.
        auth_mode: ``"basic"`` (default) or ``"digest"`` (RFC 7616: the request is
            retried once with credentials after a ``401`` digest challenge).
        connect_timeout: seconds (``float``) for the DNS lookup, connection and TLS
            handshake.
        request_timeout: seconds (``float``) for the whole request, from the time
            it is started (queueing excluded).
        if_modified_since: a ``datetime`` or POSIX timestamp sent as
            ``If-Modified-Since``.
        follow_redirects: follow 3xx responses with a ``Location``.
        max_redirects: most redirects followed.
        user_agent: the ``User-Agent`` (default ``squall/<version>``).
        use_gzip: deprecated alias of ``decompress_response``.
        network_interface: local address to connect from.
        streaming_callback: called with each body chunk (``bytes``) instead of
            collecting the body; the response's body is then empty.
        header_callback: called with each header line (``str``, with ``\\r\\n``):
            the status line, each field, then ``"\\r\\n"``.
        prepare_curl_callback: accepted for compatibility; unused (no curl client).
        proxy_host: HTTP proxy host: ``http://`` URLs are sent to it in
            absolute-form, ``https://`` ones through a ``CONNECT`` tunnel
            (RFC 9110 §9.3.6).
        proxy_port: HTTP proxy port (``int``; required with ``proxy_host``).
        proxy_username: proxy user name (sent only to the proxy, as
            ``Proxy-Authorization``).
        proxy_password: proxy password.
        proxy_auth_mode: ``"basic"`` (default) or ``"digest"`` (one ``407``
            challenge is answered).
        allow_nonstandard_methods: allow a body with any method (and no body with
            POST, PUT and PATCH).
        validate_cert: verify the server's TLS certificate and host name.
        ca_certs: a PEM file of CA certificates to verify with (default: the
            system store).
        allow_ipv6: use IPv6 when available (default ``True``).
        client_key: PEM private key file for a client certificate.
        client_cert: PEM client certificate file.
        body_producer: ``async def producer(write)`` writing the body with
            ``await write(chunk)``; sent chunked unless ``Content-Length`` is set.
        expect_100_continue: send ``Expect: 100-continue`` and the body only once
            the server answered ``100 Continue``; if the server sends no response
            at all within one second (it may not know ``Expect``), the body is sent
            anyway (RFC 9110 §10.1.1, as curl does). A final response before that
            means the body is not sent (the connection is then closed).
        decompress_response: decode gzip/deflate response bodies.
        ssl_options: an ``ssl.SSLContext`` (or dict of ``ssl.wrap_socket``
            arguments) overriding ``validate_cert``, ``ca_certs``, ``client_*``.

    Attributes:
        start_time: wall-clock creation time (``time.time()``).
        original_request: for a redirected request, the first request.
    """

    def __init__(  # noqa: PLR0917 - Tornado's positional signature
        self,
        url: str,
        method: str = "GET",
        headers: dict[str, str] | HTTPHeaders | None = None,
        body: bytes | str | None = None,
        auth_username: str | None = None,
        auth_password: str | None = None,
        auth_mode: str | None = None,
        connect_timeout: float | None = None,
        request_timeout: float | None = None,
        if_modified_since: datetime.datetime | float | None = None,
        follow_redirects: bool | None = None,
        max_redirects: int | None = None,
        user_agent: str | None = None,
        use_gzip: bool | None = None,
        network_interface: str | None = None,
        streaming_callback: Callable[[bytes], None] | None = None,
        header_callback: Callable[[str], None] | None = None,
        prepare_curl_callback: Callable[[Any], None] | None = None,
        proxy_host: str | None = None,
        proxy_port: int | None = None,
        proxy_username: str | None = None,
        proxy_password: str | None = None,
        proxy_auth_mode: str | None = None,
        allow_nonstandard_methods: bool | None = None,
        validate_cert: bool | None = None,
        ca_certs: str | None = None,
        allow_ipv6: bool | None = None,
        client_key: str | None = None,
        client_cert: str | None = None,
        body_producer: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]]
        | None = None,
        expect_100_continue: bool = False,
        decompress_response: bool | None = None,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
    ) -> None:
        self.headers = headers
        if if_modified_since:
            self.headers["If-Modified-Since"] = format_timestamp(if_modified_since)
        self.proxy_host = proxy_host
        self.proxy_port = proxy_port
        self.proxy_username = proxy_username
        self.proxy_password = proxy_password
        self.proxy_auth_mode = proxy_auth_mode
        self.url = url
        self.method = method
        self.body = body
        self.body_producer = body_producer
        self.auth_username = auth_username
        self.auth_password = auth_password
        self.auth_mode = auth_mode
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.decompress_response = (
            decompress_response if decompress_response is not None else use_gzip
        )
        self.network_interface = network_interface
        self.streaming_callback = streaming_callback
        self.header_callback = header_callback
        self.prepare_curl_callback = prepare_curl_callback
        self.allow_nonstandard_methods = allow_nonstandard_methods
        self.validate_cert = validate_cert
        self.ca_certs = ca_certs
        self.allow_ipv6 = allow_ipv6
        self.client_key = client_key
        self.client_cert = client_cert
        self.ssl_options = ssl_options
        self.expect_100_continue = expect_100_continue
        self.start_time = time.time()
        self.original_request: HTTPRequest | None = None

    @property
    def headers(self) -> HTTPHeaders:
        """The request headers (``HTTPHeaders``; assigning ``None`` or a dict converts)."""
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str] | HTTPHeaders | None) -> None:
        if value is None:
            self._headers = HTTPHeaders._from_pairs(())  # cheaper than HTTPHeaders()
        elif isinstance(value, HTTPHeaders):
            self._headers = value
        else:
            self._headers = HTTPHeaders(value)

    @property
    def body(self) -> bytes | None:
        """The request body (``bytes`` or ``None``; a ``str`` is UTF-8 encoded)."""
        return self._body

    @body.setter
    def body(self, value: bytes | str | None) -> None:
        self._body = value.encode("utf-8") if isinstance(value, str) else value


_ABSENT = object()


class _RequestProxy:
    """An ``HTTPRequest`` seen through the client's defaults (Tornado's ``_RequestProxy``)."""

    def __init__(self, request: HTTPRequest, defaults: dict[str, Any] | None) -> None:
        # Every argument is resolved now (a request must not be modified once passed
        # to fetch, as in Tornado): the client reads about fifteen of them per
        # request, and a dict lookup is much cheaper than a ``__getattr__`` call
        # each. Copy the request's attributes in one C-level update, then fill the
        # ``None`` ones that have a default (a handful of names). The properties
        # (``headers``, ``body``) and anything else not in ``vars(request)`` go
        # through ``__getattr__`` once, then are cached the same way.
        resolved = self.__dict__
        resolved.update(vars(request))
        if defaults:
            for name, value in defaults.items():
                if resolved.get(name, _ABSENT) is None:
                    resolved[name] = value
        self.request = request
        self.defaults = defaults

    def __getattr__(self, name: str) -> Any:
        # Only called for names not yet resolved: the value is then cached on the
        # proxy (a request must not be modified once passed to fetch, as in Tornado).
        value = getattr(self.request, name)
        if value is None and self.defaults is not None:
            value = self.defaults.get(name, None)
        self.__dict__[name] = value
        return value
