"""Turning an ``HTTPRequest`` into what goes on the wire, checked before anything is sent."""

from __future__ import annotations

import re
import ssl
import urllib.parse
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from squall.httpclient import HTTPRequest
from squall.httputil import HTTPHeaders
from squall.httputil._abnf import token_re
from squall.simple_httpclient._auth import basic_auth_header
from squall.simple_httpclient._trust import default_context

try:
    #: The client's version, from the installed ``squall-httpclient`` metadata.
    version = metadata.version("squall-httpclient")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    version = "0.0.0"

#: ``User-Agent`` sent when the request sets none (Tornado sends ``Tornado/<version>``).
DEFAULT_USER_AGENT = f"squall/{version}"

# CR, LF and NUL would split or truncate the request (request smuggling / header
# injection); other controls and spaces are not valid in a URL either (RFC 3986).
_UNSAFE_HEADER_RE = re.compile(r"[\r\n\x00]")
_UNSAFE_URL_RE = re.compile(r"[\x00-\x20\x7f]")
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


@dataclass(frozen=True)
class Target:
    """Where a request goes: parsed from its URL."""

    scheme: str
    host: str
    port: int
    netloc: str  # host[:port] as written, without userinfo
    path: str  # origin-form request target: path?query
    username: str | None
    password: str | None
    #: RFC 6454 origin: ``(scheme, host lower-cased, port)`` (made once: the client
    #: reads it for every request, for the per-host limit).
    origin: tuple[str, str, int]


_target_cache: dict[str, Target] = {}
_TARGET_CACHE_SIZE = 256


def parse_target(url: str) -> Target:
    """Parse and check a request URL (results are cached: a client fetches few URLs).

    Raises:
        ValueError: an unsupported scheme, no host, or a control character or
            space in the URL.
    """
    target = _target_cache.get(url)
    if target is None:
        target = _parse_target(url)
        if len(_target_cache) >= _TARGET_CACHE_SIZE:
            _target_cache.clear()
        _target_cache[url] = target
    return target


def _parse_target(url: str) -> Target:
    if _UNSAFE_URL_RE.search(url):
        raise ValueError(f"URL contains a control character or space: {url[:200]!r}")
    parsed = urllib.parse.urlsplit(url)
    scheme = parsed.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"Unsupported url scheme: {url[:200]}")
    host = parsed.hostname
    if not host:
        raise ValueError(f"URL has no host: {url[:200]}")
    port = parsed.port or (443 if scheme == "https" else 80)
    netloc = parsed.netloc.rpartition("@")[2]
    path = parsed.path or "/"
    if parsed.query:
        path += "?" + parsed.query
    username = urllib.parse.unquote(parsed.username) if parsed.username is not None else None
    password = urllib.parse.unquote(parsed.password) if parsed.password is not None else None
    return Target(
        scheme, host, port, netloc, path, username, password, (scheme, host.lower(), port)
    )


def check_request(request: HTTPRequest) -> None:
    """Reject a method or headers that would corrupt the request head.

    Raises:
        ValueError: a method that is not a token, a header name that is not a
            token, or CR, LF or NUL in a header name or value.
    """
    if token_re.fullmatch(request.method) is None:
        raise ValueError(f"invalid HTTP method {request.method[:40]!r}")
    for name, value in request.headers.get_all():
        if token_re.fullmatch(name) is None:
            raise ValueError(f"invalid header name {name[:100]!r}")
        if _UNSAFE_HEADER_RE.search(value):
            raise ValueError(f"CR, LF or NUL in header {name}: {value[:100]!r}")


def credentials(request: Any, target: Target) -> tuple[str, str] | None:
    """The user name and password for the request (arguments win over URL userinfo)."""
    if request.auth_username is not None:
        return request.auth_username, request.auth_password or ""
    if target.username is not None:
        return target.username, target.password or ""
    return None


def build_headers(request: Any, target: Target, creds: tuple[str, str] | None) -> HTTPHeaders:
    """The request headers to send, as Tornado's simple client builds them.

    ``creds`` is ``credentials(request, target)`` (the caller needs it too).

    Adds ``Host``, Basic ``Authorization`` (for ``auth_mode`` ``"basic"``),
    ``User-Agent``, ``Expect``, ``Content-Length``, a form ``Content-Type`` for a
    POST, and ``Accept-Encoding`` when responses are decompressed.

    Raises:
        ValueError: a body with a method that takes none or the reverse (unless
            ``allow_nonstandard_methods``), or an unsupported ``auth_mode``.
    """
    # A copy (the request's own headers stay as the caller set them, for a redirect
    # or a retry); check_request has checked every field.
    headers = HTTPHeaders._from_pairs(request.headers.get_all())
    if "Host" not in headers:
        headers["Host"] = target.netloc
    if creds is not None:
        mode = request.auth_mode or "basic"
        if mode == "basic":
            headers["Authorization"] = basic_auth_header(*creds)
        elif mode != "digest":
            raise ValueError(f"unsupported auth_mode {mode}")
    if request.user_agent:
        headers["User-Agent"] = request.user_agent
    elif "User-Agent" not in headers:
        headers["User-Agent"] = DEFAULT_USER_AGENT
    method = request.method
    if not request.allow_nonstandard_methods:
        body_expected = method in _BODY_METHODS
        body_present = request.body is not None or request.body_producer is not None
        if body_expected != body_present:
            raise ValueError(
                f"Body must {'not ' if body_present else ''}be None for method {method} "
                "(unless allow_nonstandard_methods is true)"
            )
    if request.expect_100_continue:
        headers["Expect"] = "100-continue"
    if request.body is not None:
        headers["Content-Length"] = str(len(request.body))
    if method == "POST" and "Content-Type" not in headers:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if request.decompress_response:
        headers["Accept-Encoding"] = "gzip, deflate"
    return headers


_default_contexts: dict[str | None, ssl.SSLContext] = {}


def tls_settings(request: Any) -> tuple[ssl.SSLContext | dict[str, Any], Any]:
    """The TLS context for an https request, and a hashable key naming its identity.

    Verification is on by default, against ``ca_certs`` when given, else the
    system's trust store, else (where there is none) the ``tls`` extra's
    truststore or certifi (see ``_trust``).

    Returns:
        ``(context_or_options, key)``; ``key`` is ``None`` when the settings
        cannot be compared (a dict of ``ssl_options``): such connections are not
        pooled.

    Raises:
        OSError, ssl.SSLError: a certificate, key or CA file cannot be loaded.
    """
    if request.ssl_options is not None:
        options = request.ssl_options
        if isinstance(options, ssl.SSLContext):
            return options, ("context", options)
        return options, None
    validate = bool(request.validate_cert)
    ca_certs, cert, key = request.ca_certs, request.client_cert, request.client_key
    identity = (validate, ca_certs, cert, key)
    if validate and cert is None and key is None:
        context = _default_contexts.get(ca_certs)
        if context is None:
            context = default_context(ca_certs)
            _default_contexts[ca_certs] = context
        return context, identity
    context = default_context(ca_certs)
    if not validate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context, identity
