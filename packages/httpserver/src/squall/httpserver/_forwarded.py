"""The standard ``Forwarded`` header (RFC 7239) and the X-Forwarded-* family."""

from __future__ import annotations

import re
from collections.abc import Container

from squall.netutil import is_valid_ip

# RFC 7239 §4:
#   Forwarded         = 1#forwarded-element
#   forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
#   forwarded-pair    = token "=" value
#   value             = token / quoted-string
# with token and quoted-string from RFC 9110 §5.6.2 and §5.6.4. One anchored regex
# per pair, matched left to right: parsing is linear in the header's length.
_OWS = r"[ \t]*"
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"'
_PAIR_RE = re.compile(rf"{_OWS}({_TOKEN}){_OWS}={_OWS}(?:({_TOKEN})|{_QUOTED}){_OWS}")
_SEP_RE = re.compile(rf"{_OWS}([;,]|$)")
_QUOTED_PAIR_RE = re.compile(r"\\(.)")

# RFC 7239 §6: node = nodename [ ":" node-port ], where nodename is an IPv4
# address, "[" IPv6address "]", "unknown" or an obfuscated identifier ("_" ...).
_NODE_RE = re.compile(r"(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+))(?::(?:[0-9]{1,5}|_[0-9A-Za-z._-]+))?")

#: One forwarded-element: its parameters, names lower-cased (``{"for": ..., "proto": ...}``).
ForwardedElement = dict[str, str]


def parse_forwarded(value: str) -> list[ForwardedElement] | None:
    """Parse a ``Forwarded`` field value (RFC 7239 §4) into its elements.

    Args:
        value: the field value; several fields must be joined with ``","`` first.

    Returns:
        One dict per element, left (farthest from us) to right, mapping
        lower-cased parameter names to their unquoted values; ``None`` if the value
        does not follow the grammar (the caller then ignores the header).
    """
    elements: list[ForwardedElement] = []
    current: ForwardedElement = {}
    pos = 0
    end = len(value)
    while True:
        pair = _PAIR_RE.match(value, pos)
        if pair is not None:
            name = pair.group(1).lower()
            token, quoted = pair.group(2), pair.group(3)
            if name in current:
                return None  # RFC 7239 §4: a parameter must not occur twice
            current[name] = token if token is not None else _QUOTED_PAIR_RE.sub(r"\1", quoted)
            pos = pair.end()
        sep = _SEP_RE.match(value, pos)
        if sep is None:
            return None
        pos = sep.end()
        if sep.group(1) != ";":
            if current:
                elements.append(current)
            current = {}
        if sep.group(1) == "" or pos >= end:
            break
    if current:
        elements.append(current)
    return elements


def forwarded_node_ip(node: str) -> str | None:
    """The IP address in a ``for=`` node (RFC 7239 §6), or ``None``.

    Args:
        node: the unquoted node, e.g. ``192.0.2.43``, ``[2001:db8::1]:4711``,
            ``unknown`` or ``_hidden``.

    Returns:
        The address without brackets or port, or ``None`` for ``unknown``, an
        obfuscated identifier or anything that is not a valid IP address.
    """
    match = _NODE_RE.fullmatch(node)
    if match is None:
        return None
    ip = match.group(1) or match.group(2)
    if match.group(1) is not None and ":" not in ip:
        return None  # brackets are only for IPv6
    if match.group(2) is not None and ":" in ip:
        return None
    return ip if is_valid_ip(ip) else None


def client_from_forwarded(
    value: str, trusted: Container[str]
) -> tuple[str | None, str | None] | None:
    """Find the client address and scheme in a ``Forwarded`` value.

    The rightmost element whose ``for=`` is not a trusted proxy describes the client
    (RFC 7239 §5.2 and §7.4: elements to the left of it may be forged by the
    client itself).

    Args:
        value: the ``Forwarded`` field value.
        trusted: IP addresses of proxies to skip (``trusted_downstream``).

    Returns:
        ``(ip, proto)`` from that element (either may be ``None`` when absent,
        ``unknown`` or obfuscated; ``proto`` is lower-cased), or ``None`` when the
        header is malformed or has no ``for=`` parameter.
    """
    elements = parse_forwarded(value)
    if not elements:
        return None
    for element in reversed(elements):
        node = element.get("for")
        if node is None:
            continue
        ip = forwarded_node_ip(node)
        if ip is not None and ip in trusted:
            continue
        proto = element.get("proto")
        return ip, proto.lower() if proto is not None else None
    return None
