"""is_valid_ip: is a string a literal IPv4 or IPv6 address."""

from __future__ import annotations

import socket

__all__ = ["is_valid_ip"]

_MAX_IP_LENGTH = 256  # far longer than any literal address, with a scope id


def is_valid_ip(ip: str) -> bool:
    """Return True if ``ip`` is a literal IPv4 or IPv6 address (not a host name).

    Like Tornado, this asks ``getaddrinfo`` with ``AI_NUMERICHOST`` (so it never does
    a DNS lookup, and accepts what the C library accepts, such as ``"::1"`` or
    ``"fe80::1%lo"``).

    Args:
        ip: the candidate string.

    Returns:
        True for a literal address; False for empty strings, strings with NUL bytes,
        over-long strings and anything ``getaddrinfo`` refuses as numeric.
    """
    if not ip or "\x00" in ip or len(ip) > _MAX_IP_LENGTH:
        return False
    try:
        infos = socket.getaddrinfo(
            ip, 0, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    except socket.gaierror as e:
        if e.errno == socket.EAI_NONAME:
            return False
        raise
    except (UnicodeError, ValueError):
        return False
    return bool(infos)
