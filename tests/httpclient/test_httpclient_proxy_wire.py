"""What the client sends to a proxy, checked on the wire with a scripted proxy.

Covers what tinyproxy cannot: Digest proxy authentication (RFC 7616 through
``Proxy-Authenticate``/``Proxy-Authorization``), the absolute-form target, a refused
``CONNECT``, and a user-set ``Proxy-Authorization`` never reaching a tunnelled origin.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any

import pytest

from squall.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse

REALM, NONCE = "proxy-realm", "0a4f113b"


def digest_ok(value: str, method: str) -> bool:
    """An independent check of an RFC 7616 MD5 ``qop=auth`` answer."""
    if not value.startswith("Digest "):
        return False
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', value[7:]))
    ha1 = hashlib.md5(f"pu:{REALM}:pp".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{fields['uri']}".encode()).hexdigest()
    expected = hashlib.md5(
        f"{ha1}:{NONCE}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}".encode()
    ).hexdigest()
    return fields.get("response") == expected


CHALLENGE = (
    "HTTP/1.1 407 Proxy Authentication Required\r\n"
    f'Proxy-Authenticate: Digest realm="{REALM}", nonce="{NONCE}", qop="auth"\r\n'
    "Content-Length: 4\r\n\r\nauth"
).encode()


async def fetch(url: str, port: int, **kwargs: Any) -> HTTPResponse:
    client = AsyncHTTPClient(force_instance=True)
    try:
        response: HTTPResponse = await client.fetch(
            url, proxy_host="127.0.0.1", proxy_port=port, request_timeout=5, **kwargs
        )
        return response
    finally:
        client.close()


def test_plain_request_uses_absolute_form_and_digest_proxy_auth(h: Any) -> None:
    seen: list[tuple[bytes, dict[str, str]]] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line, headers, _body = await h.read_request(reader)
            seen.append((line, headers))
            if digest_ok(headers.get("proxy-authorization", ""), "GET"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied")
            else:
                writer.write(CHALLENGE)
            await writer.drain()

    async def main() -> HTTPResponse:
        async with h.raw_server(proxy) as port:
            return await fetch(
                "http://origin.invalid:8080/a?b=1",
                port,
                proxy_username="pu",
                proxy_password="pp",
                proxy_auth_mode="digest",
            )

    response = asyncio.run(main())
    assert response.code == 200 and response.body == b"proxied"
    assert [line for line, _ in seen] == [b"GET http://origin.invalid:8080/a?b=1 HTTP/1.1"] * 2
    assert seen[0][1]["host"] == "origin.invalid:8080"
    assert "proxy-authorization" not in seen[0][1]


def test_connect_answers_a_digest_challenge_and_keeps_user_proxy_auth_out(h: Any) -> None:
    requests: list[tuple[bytes, dict[str, str]]] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line, headers, _body = await h.read_request(reader)
            requests.append((line, headers))
            if digest_ok(headers.get("proxy-authorization", ""), "CONNECT"):
                # Accept, then stop: the client starts TLS to a peer that is not
                # TLS, which fails the request; the CONNECT exchange is what we check.
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
                await reader.read(1)
                return
            writer.write(CHALLENGE)
            await writer.drain()

    async def main() -> None:
        async with h.raw_server(proxy) as port:
            await fetch(
                "https://origin.invalid:8443/",
                port,
                proxy_username="pu",
                proxy_password="pp",
                proxy_auth_mode="digest",
                headers={"Proxy-Authorization": "Basic bm90LWZvci1vcmlnaW4="},
            )

    with pytest.raises(Exception):  # noqa: B017 - whatever the failed TLS raises
        asyncio.run(main())
    assert [line for line, _ in requests] == [b"CONNECT origin.invalid:8443 HTTP/1.1"] * 2
    assert requests[0][1]["host"] == "origin.invalid:8443"
    assert "proxy-authorization" not in requests[0][1]


def test_refused_connect_reports_the_proxy_status(h: Any) -> None:
    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await h.read_request(reader)
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        async with h.raw_server(proxy) as port:
            await fetch("https://origin.invalid/", port)

    with pytest.raises(HTTPClientError) as info:
        asyncio.run(main())
    assert info.value.code == 502


def test_proxy_port_is_required() -> None:
    async def main() -> None:
        client = AsyncHTTPClient(force_instance=True)
        try:
            await client.fetch("http://127.0.0.1:1/", proxy_host="127.0.0.1")
        finally:
            client.close()

    with pytest.raises(ValueError, match="proxy_port"):
        asyncio.run(main())
