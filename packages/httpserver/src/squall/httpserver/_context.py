"""Per-connection facts (peer address, scheme) and the X-Forwarded-* overrides."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Iterable
from typing import Any

from squall.httpserver._forwarded import client_from_forwarded
from squall.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    RequestStartLine,
    ResponseStartLine,
)
from squall.iostream import IOStream
from squall.netutil import is_valid_ip


class HTTPRequestContext:
    """What the server knows about the peer of one connection.

    Attributes:
        address: the peer address as returned by ``accept``.
        address_family: the socket family, or ``None``.
        remote_ip: the client IP (``str``); ``"0.0.0.0"`` for non-IP sockets.
        protocol: ``"http"`` or ``"https"``.
        trusted_downstream: proxy IPs skipped in ``X-Forwarded-For``.
    """

    def __init__(
        self,
        stream: IOStream,
        address: Any,
        protocol: str | None,
        trusted_downstream: Iterable[str] | None = None,
    ) -> None:
        self.address = address
        sock = getattr(stream, "socket", None)
        self.address_family: int | None = getattr(sock, "family", None)
        if (
            self.address_family in (socket.AF_INET, socket.AF_INET6)
            and isinstance(address, tuple)
            and address
        ):
            self.remote_ip: str = str(address[0])
        else:
            self.remote_ip = "0.0.0.0"
        self.protocol: str = protocol or "http"
        self._orig_remote_ip = self.remote_ip
        self._orig_protocol = self.protocol
        self.trusted_downstream = set(trusted_downstream or ())

    def __str__(self) -> str:
        if self.address_family in (socket.AF_INET, socket.AF_INET6):
            return self.remote_ip
        if isinstance(self.address, bytes):
            return self.address.decode("latin-1")
        return str(self.address)

    def _apply_xheaders(self, headers: HTTPHeaders) -> None:
        """Take ``remote_ip`` / ``protocol`` from proxy headers (Tornado's ``xheaders``).

        The address comes from ``X-Real-Ip``, else from ``X-Forwarded-For`` (the
        rightmost hop not in ``trusted_downstream``), else from the standard
        ``Forwarded`` header (RFC 7239, same rule); the scheme from ``X-Scheme``,
        else ``X-Forwarded-Proto`` (last value), else ``Forwarded``'s ``proto=``.
        Values that are not an IP address, or a scheme other than ``http`` or
        ``https``, are ignored.
        """
        ip: str | None = None
        proto: str | None = None
        real_ip = headers.get("X-Real-Ip")
        forwarded_for = headers.get("X-Forwarded-For")
        if real_ip is not None:
            ip = real_ip.strip()
        elif forwarded_for is not None:
            for candidate in reversed(forwarded_for.split(",")):
                ip = candidate.strip()
                if ip not in self.trusted_downstream:
                    break
        if "Forwarded" in headers:
            found = client_from_forwarded(
                ",".join(headers.get_list("Forwarded")), self.trusted_downstream
            )
            if found is not None:
                if ip is None:
                    ip = found[0]
                proto = found[1]
        if ip is not None and is_valid_ip(ip):
            self.remote_ip = ip
        scheme = headers.get("X-Scheme") or headers.get("X-Forwarded-Proto")
        if scheme:
            proto = scheme.split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            self.protocol = proto

    def _unapply_xheaders(self) -> None:
        """Restore the values from the socket (a new request may lack the headers)."""
        self.remote_ip = self._orig_remote_ip
        self.protocol = self._orig_protocol


class ProxyAdapter(HTTPMessageDelegate):
    """Applies the proxy headers (``X-Real-Ip``, ``X-Forwarded-*``, ``Forwarded``).

    Args:
        delegate: the wrapped ``HTTPMessageDelegate``.
        request_conn: the ``HTTPConnection`` whose ``context`` is updated.
    """

    def __init__(self, delegate: HTTPMessageDelegate, request_conn: HTTPConnection) -> None:
        self.connection = request_conn
        self.delegate = delegate

    def _context(self) -> HTTPRequestContext | None:
        context = getattr(self.connection, "context", None)
        return context if isinstance(context, HTTPRequestContext) else None

    def headers_received(
        self, start_line: RequestStartLine | ResponseStartLine, headers: HTTPHeaders
    ) -> Awaitable[None] | None:
        """Apply the proxy headers to the context, then forward."""
        context = self._context()
        if context is not None:
            context._apply_xheaders(headers)
        return self.delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Forward a body chunk."""
        return self.delegate.data_received(chunk)

    def finish(self) -> None:
        """Forward, then restore the context."""
        try:
            self.delegate.finish()
        finally:
            self._cleanup()

    def on_connection_close(self) -> None:
        """Forward, then restore the context."""
        try:
            self.delegate.on_connection_close()
        finally:
            self._cleanup()

    def _cleanup(self) -> None:
        context = self._context()
        if context is not None:
            context._unapply_xheaders()
