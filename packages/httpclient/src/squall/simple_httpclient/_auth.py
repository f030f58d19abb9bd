"""HTTP authentication headers: Basic (RFC 7617) and Digest (RFC 7616)."""

from __future__ import annotations

import base64
import hashlib
import os
import re

from squall.httputil import encode_username_password

# RFC 9110 §11.2: auth-param = token BWS "=" BWS ( token / quoted-string ).
# One pass over the challenge, no nested quantifiers: linear time.
_AUTH_PARAM_RE = re.compile(
    r"""[ \t]*,?[ \t]*([-!#$%&'*+.^_`|~0-9A-Za-z]+)[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^, \t]*)"""
)

_MAX_CHALLENGE = 4096


def basic_auth_header(username: str, password: str) -> str:
    """The ``Authorization`` value for Basic authentication (RFC 7617 §2), UTF-8."""
    return "Basic " + base64.b64encode(encode_username_password(username, password)).decode()


def parse_digest_challenge(value: str) -> dict[str, str] | None:
    """Parse a ``WWW-Authenticate: Digest ...`` challenge (RFC 7616 §3.3).

    Args:
        value: one ``WWW-Authenticate`` field value.

    Returns:
        The lower-cased parameter names mapped to their (unquoted) values, or
        ``None`` if this is not a Digest challenge with a realm and nonce.
    """
    if len(value) > _MAX_CHALLENGE:
        return None  # bounds the regex scan (a hostile server controls this text)
    scheme, _sep, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    for match in _AUTH_PARAM_RE.finditer(rest):
        name, raw = match.groups()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[name.lower()] = raw
    if "realm" not in params or "nonce" not in params:
        return None
    return params


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def digest_auth_header(  # noqa: PLR0917
    challenge: dict[str, str],
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str | None = None,
    nc: int = 1,
) -> str | None:
    """Answer a Digest challenge (RFC 7616 §3.4; RFC 2617 without ``qop``).

    Supports the ``MD5`` and ``SHA-256`` algorithms and their ``-sess`` variants, and
    ``qop=auth`` (``auth-int`` is not supported).

    Args:
        challenge: from :func:`parse_digest_challenge`.
        username: the user name.
        password: the password.
        method: the request method.
        uri: the request target as sent on the request line.
        cnonce: the client nonce (random if ``None``; fixed only for tests).
        nc: the nonce count.

    Returns:
        The ``Authorization`` field value, or ``None`` if the challenge asks for an
        unsupported algorithm or quality of protection.
    """
    algorithm = challenge.get("algorithm", "MD5")
    base = algorithm.upper().removesuffix("-SESS")
    hash_new = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}.get(base)
    if hash_new is None:
        return None

    def h(text: str) -> str:
        return hash_new(text.encode("utf-8")).hexdigest()

    realm, nonce = challenge["realm"], challenge["nonce"]
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    if qops and "auth" not in qops:
        return None
    cnonce = cnonce if cnonce is not None else os.urandom(8).hex()
    nc_text = f"{nc:08x}"
    ha1 = h(f"{username}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    if qops:
        response = h(f"{ha1}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}")
    else:
        response = h(f"{ha1}:{nonce}:{ha2}")
    parts = [
        f"username={_quote(username)}",
        f"realm={_quote(realm)}",
        f"nonce={_quote(nonce)}",
        f"uri={_quote(uri)}",
        f"response={_quote(response)}",
        f"algorithm={algorithm}",
    ]
    if qops:
        parts += ["qop=auth", f"nc={nc_text}", f"cnonce={_quote(cnonce)}"]
    if "opaque" in challenge:
        parts.append(f"opaque={_quote(challenge['opaque'])}")
    return "Digest " + ", ".join(parts)
