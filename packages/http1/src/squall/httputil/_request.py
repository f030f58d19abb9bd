"""HTTPServerRequest: one HTTP request as seen by the application."""

from __future__ import annotations

import contextlib
import http.cookies
import ssl
import time
from typing import Any, cast

from squall.httputil._forms import FORM_TYPES, HTTPFile, parse_body_arguments, parse_qs_bytes
from squall.httputil._headers import HTTPHeaders
from squall.httputil._interfaces import HTTPConnection
from squall.httputil._misc import parse_cookie, split_host_and_port
from squall.httputil._startline import RequestStartLine


def _split_absolute_form(uri: str) -> tuple[str, str | None]:
    """Turn an absolute-form target into (origin-form, authority) (RFC 9112 §3.2.2)."""
    scheme, sep, rest = uri.partition("://")
    if not sep or not scheme.isascii() or not scheme.isalpha() or "/" in scheme:
        return uri, None
    authority, slash, path = rest.partition("/")
    query_at = authority.find("?")
    if query_at >= 0:  # http://host?q
        authority, path, slash = authority[:query_at], authority[query_at:], ""
        return "/" + path, authority
    return "/" + path if slash else "/", authority


#: ``host -> host_name`` for hosts seen recently: a server sees the same few
#: ``Host`` values on every request. Bounded (cleared when full), since the
#: values come from clients.
_host_names: dict[str, str] = {}
_MAX_HOST_NAMES = 256


def _host_name(host: str) -> str:
    """``host`` lower-cased without its port (Tornado's ``host_name``), memoised."""
    name = _host_names.get(host)
    if name is None:
        name = split_host_and_port(host.lower())[0]
        if len(_host_names) >= _MAX_HOST_NAMES:
            _host_names.clear()
        _host_names[host] = name
    return name


class HTTPServerRequest:
    """A single HTTP request received by the server (Tornado's ``HTTPServerRequest``).

    Attributes:
        method: request method (``str``), e.g. ``"GET"``.
        uri: the request-target; an absolute-form target (RFC 9112 §3.2.2) is
            rewritten to origin-form and its authority becomes ``host``.
        path: ``uri`` before ``?``; ``query``: after it.
        version: ``"HTTP/1.0"`` or ``"HTTP/1.1"``.
        headers: ``HTTPHeaders``.
        body: request body ``bytes``.
        remote_ip: client address (``str``) from the connection context.
        protocol: ``"http"`` or ``"https"`` from the connection context.
        host: the ``Host`` (``"127.0.0.1"`` if absent); ``host_name`` without the port.
        arguments: query and body arguments ``{name: [bytes]}``;
            ``query_arguments`` / ``body_arguments`` hold each source alone.
        files: uploaded files ``{name: [HTTPFile]}``.
        connection: the ``HTTPConnection`` used to answer.
        server_connection: the transport-level connection object.

    Args:
        method: request method; taken from ``start_line`` when given.
        uri: request-target; taken from ``start_line`` when given.
        version: protocol version; taken from ``start_line`` when given.
        headers: request headers (a new empty ``HTTPHeaders`` by default).
        body: request body (``b""`` by default).
        host: overrides the ``Host`` header.
        files: pre-parsed files.
        connection: the ``HTTPConnection`` (its ``context`` supplies
            ``remote_ip`` and ``protocol``).
        start_line: a ``RequestStartLine``.
        server_connection: the transport connection.
    """

    path: str
    query: str
    _body_future: Any

    def __init__(  # noqa: PLR0917 - Tornado's positional signature
        self,
        method: str | None = None,
        uri: str | None = None,
        version: str = "HTTP/1.0",
        headers: HTTPHeaders | None = None,
        body: bytes | None = None,
        host: str | None = None,
        files: dict[str, list[HTTPFile]] | None = None,
        connection: HTTPConnection | None = None,
        start_line: RequestStartLine | None = None,
        server_connection: object | None = None,
    ) -> None:
        if start_line is not None:
            method, uri, version = start_line
        self.method = method
        self.version = version
        self.headers = headers if headers is not None else HTTPHeaders()
        self.body = body or b""
        context = getattr(connection, "context", None)
        self.remote_ip: str | None = getattr(context, "remote_ip", None)
        self.protocol: str = getattr(context, "protocol", "http")
        authority = None
        if uri is not None and "://" in uri:
            uri, authority = _split_absolute_form(uri)
        self.uri = uri
        self.host = host or authority or self.headers.get("Host") or "127.0.0.1"
        self.host_name = _host_name(self.host)
        self.files: dict[str, list[HTTPFile]] = files or {}
        self.connection = connection
        self.server_connection = server_connection
        self._start_time = time.time()
        self._finish_time: float | None = None
        if uri is not None:
            self.path, _sep, self.query = uri.partition("?")
        else:
            self.path, self.query = "", ""
        # Most requests have no query: skip the parser. The values are immutable
        # bytes, so copying each list is the deep copy query_arguments needs (it
        # must not change when body arguments are merged into ``arguments``).
        self.arguments: dict[str, list[bytes]]
        self.query_arguments: dict[str, list[bytes]]
        if self.query:
            self.arguments = parse_qs_bytes(self.query, keep_blank_values=True)
            self.query_arguments = {name: list(v) for name, v in self.arguments.items()}
        else:
            self.arguments, self.query_arguments = {}, {}
        self.body_arguments: dict[str, list[bytes]] = {}
        self._cookies: http.cookies.SimpleCookie | None = None

    @property
    def cookies(self) -> dict[str, http.cookies.Morsel[Any]]:
        """The request cookies as ``{name: http.cookies.Morsel}`` (parsed lazily, RFC 6265)."""
        if self._cookies is None:
            self._cookies = http.cookies.SimpleCookie()
            if "Cookie" in self.headers:
                for name, value in parse_cookie(self.headers["Cookie"]).items():
                    with contextlib.suppress(http.cookies.CookieError):
                        self._cookies[name] = value
        return self._cookies

    def full_url(self) -> str:
        """Reconstruct the full URL: ``protocol://host/uri``.

        Returns:
            ``str``.
        """
        return f"{self.protocol}://{self.host}{self.uri}"

    def request_time(self) -> float:
        """Seconds (``float``) this request has taken so far, or took until it finished."""
        if self._finish_time is None:
            return time.time() - self._start_time
        return self._finish_time - self._start_time

    def get_ssl_certificate(self, binary_form: bool = False) -> dict[str, Any] | bytes | None:
        """Return the client's TLS certificate, if one was verified.

        Follows Tornado: ``ssl.SSLSocket.getpeercert``, asked of the connection's
        ``SSLIOStream`` (``get_ssl_certificate``) or of an ``ssl.SSLSocket``;
        ``None`` on plain TCP or when no certificate was requested.

        Args:
            binary_form: return the DER ``bytes`` instead of the decoded ``dict``.

        Returns:
            ``dict``, ``bytes`` or ``None``.
        """
        stream = getattr(self.connection, "stream", None)
        get_certificate = getattr(stream, "get_ssl_certificate", None)
        if get_certificate is not None:  # SSLIOStream: TLS lives in the transport
            try:
                return cast("dict[str, Any] | bytes | None", get_certificate(binary_form))
            except (ssl.SSLError, ValueError):
                return None
        sock = getattr(stream, "socket", None)
        if not isinstance(sock, ssl.SSLSocket):
            return None
        try:
            return sock.getpeercert(binary_form=binary_form)
        except (ssl.SSLError, ValueError):
            return None

    def _parse_body(self) -> None:
        """Parse form arguments and files from ``body`` into ``body_arguments`` / ``files``.

        Raises:
            HTTPInputError: for a malformed form body.
        """
        # Skip parse_body_arguments when it would do nothing: no Content-Encoding
        # (which it refuses) and a Content-Type that is not a form. The stored
        # lists are keyed by canonical names; a repeated Content-Type joins as
        # "first,second", which starts with a form type iff the first value does.
        fields = self.headers._as_list
        if "Content-Encoding" not in fields:
            content_type = fields.get("Content-Type")
            if content_type is None or not content_type[0].startswith(FORM_TYPES):
                return
        parse_body_arguments(
            self.headers.get("Content-Type", ""),
            self.body,
            self.body_arguments,
            self.files,
            self.headers,
        )
        for name, values in self.body_arguments.items():
            self.arguments.setdefault(name, []).extend(values)

    def __repr__(self) -> str:
        attrs = ("protocol", "host", "method", "uri", "version", "remote_ip")
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in attrs)
        return f"{type(self).__name__}({args})"
