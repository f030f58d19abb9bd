"""HTTP proxies: absolute-form requests and ``CONNECT`` tunnels (RFC 9110 §9.3.6).

A plain ``http://`` request goes to the proxy with its URL as the request target
(RFC 9112 §3.2.2, absolute-form) and ``Proxy-Authorization`` among its headers. An
``https://`` request first opens a tunnel: ``CONNECT host:port`` (authority-form,
RFC 9112 §3.2.3) carrying the proxy credentials, then TLS to the origin inside it, so
the proxy credentials are only ever seen by the proxy.

Pooled connections are keyed with the proxy's address *and* a digest of the proxy
credentials: a connection opened (or a tunnel authorised) with one set of proxy
credentials is never reused by a request with other credentials or none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from squall.httpclient import HTTPClientError
from squall.httputil import HTTPHeaders, HTTPInputError, parse_response_start_line
from squall.iostream import IOStream
from squall.simple_httpclient._auth import (
    basic_auth_header,
    digest_auth_header,
    parse_digest_challenge,
)

#: The ``CONNECT`` response head may not be longer than this (bytes).
MAX_CONNECT_HEAD = 64 * 1024


@dataclass(frozen=True)
class Proxy:
    """The proxy a request goes through, from its ``proxy_*`` arguments."""

    host: str
    port: int
    username: str | None
    password: str
    auth_mode: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        """Hashable pool-key part: address plus a digest of the credentials.

        The digest (not the password itself) keeps pool keys printable in logs.
        """
        creds = ""
        if self.username is not None:
            text = f"{self.auth_mode}\x00{self.username}\x00{self.password}"
            creds = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return ("proxy", self.host.lower(), self.port, creds)

    def authorization(self, method: str, uri: str, challenge: dict[str, str] | None) -> str | None:
        """The ``Proxy-Authorization`` value for a request, or ``None`` (no credentials).

        Args:
            method: the request method (``"CONNECT"`` for a tunnel).
            uri: the request target as sent (digest hashes it).
            challenge: a parsed ``Proxy-Authenticate: Digest`` challenge (RFC 7616
                §3.3, answered as for ``WWW-Authenticate``), or ``None``.
        """
        if self.username is None:
            return None
        if self.auth_mode == "basic":
            return basic_auth_header(self.username, self.password)
        if challenge is None:
            return None  # digest: first ask without, answer the 407 challenge
        return digest_auth_header(challenge, self.username, self.password, method, uri)


def proxy_for(request: Any) -> Proxy | None:
    """The proxy settings of ``request`` (through the client's defaults), or ``None``.

    Raises:
        ValueError: ``proxy_host`` without ``proxy_port``, or an unsupported
            ``proxy_auth_mode`` (only ``"basic"`` and ``"digest"``).
    """
    host = request.proxy_host
    if not host:
        return None
    port = request.proxy_port
    if not port:
        raise ValueError("proxy_host needs proxy_port")
    mode = (request.proxy_auth_mode or "basic").lower()
    if mode not in ("basic", "digest"):
        raise ValueError(f"unsupported proxy_auth_mode {mode}")
    username = request.proxy_username
    return Proxy(host, int(port), username, request.proxy_password or "", mode)


def digest_challenge(headers: HTTPHeaders) -> dict[str, str] | None:
    """The first Digest challenge in a 407's ``Proxy-Authenticate`` fields, or ``None``."""
    for value in headers.get_list("Proxy-Authenticate"):
        challenge = parse_digest_challenge(value)
        if challenge is not None:
            return challenge
    return None


async def open_tunnel(
    stream: IOStream, proxy: Proxy, authority: str, user_agent: str | None
) -> IOStream:
    """Ask the proxy on ``stream`` for a tunnel to ``authority`` (``host:port``).

    Sends ``CONNECT`` (with ``Proxy-Authorization`` when the proxy has credentials;
    in digest mode a ``407`` challenge is answered once, on the same connection if
    the proxy keeps it open) and reads the answer. A ``2xx`` answer has no body
    (RFC 9110 §9.3.6): the stream then carries raw bytes to the origin.

    Args:
        stream: a fresh connection to the proxy.
        proxy: the proxy settings.
        authority: ``host:port`` of the origin (IPv6 literals in brackets).
        user_agent: sent as ``User-Agent`` if not ``None``.

    Returns:
        ``stream``, now a tunnel to the origin.

    Raises:
        HTTPClientError: the proxy refused the tunnel (its status code, e.g. 407
            or 502).
        HTTPInputError: a malformed answer.
        StreamClosedError: the proxy closed the connection.
    """
    challenge: dict[str, str] | None = None
    for _attempt in (0, 1):
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        auth = proxy.authorization("CONNECT", authority, challenge)
        if auth is not None:
            lines.append(f"Proxy-Authorization: {auth}")
        if user_agent:
            lines.append(f"User-Agent: {user_agent}")
        await stream.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = await stream.read_until(b"\r\n\r\n", max_bytes=MAX_CONNECT_HEAD)
        text = head.decode("latin-1")
        first, _sep, rest = text.partition("\r\n")
        try:
            start_line = parse_response_start_line(first)
        except Exception as e:
            raise HTTPInputError(f"malformed CONNECT response: {first[:100]!r}") from e
        if 200 <= start_line.code < 300:
            return stream
        headers = HTTPHeaders.parse(rest)
        if (
            start_line.code == 407
            and challenge is None
            and proxy.username is not None
            and proxy.auth_mode == "digest"
        ):
            challenge = digest_challenge(headers)
            if challenge is not None and await _skip_body(stream, headers):
                continue
        raise HTTPClientError(
            start_line.code, f"Proxy CONNECT refused: {start_line.code} {start_line.reason}"
        )
    raise HTTPClientError(407, "Proxy CONNECT refused: 407 Proxy Authentication Required")


async def _skip_body(stream: IOStream, headers: HTTPHeaders) -> bool:
    """Read a refused CONNECT's ``Content-Length`` body; ``False`` if not reusable."""
    if "close" in headers.get("Connection", "").lower():
        return False
    length = headers.get("Content-Length")
    if length is None or not length.isdigit() or int(length) > MAX_CONNECT_HEAD:
        return False
    if int(length):
        await stream.read_bytes(int(length))
    return True
