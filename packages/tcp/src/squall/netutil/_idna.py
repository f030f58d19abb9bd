"""Internationalised host names: encode to IDNA A-labels before a lookup."""

from __future__ import annotations

import socket

__all__ = ["encode_host"]


def encode_host(host: str) -> str:
    """Return ``host`` as the ASCII name a DNS lookup needs.

    A pure-ASCII name is returned unchanged: the C resolver handles it, and names
    that are legal in DNS but not in IDNA (``_service.example``) must keep
    working. A name with any other character is mapped with UTS #46 (so
    ``"Bücher。Example"`` and full-width letters work) and encoded with IDNA 2008
    (RFC 5891) by the ``idna`` library, rather than by Python's built-in
    ``idna`` codec, which implements the obsolete IDNA 2003 (it turns
    ``"faß.de"`` into ``"fass.de"``, a different domain than ``"xn--fa-hia.de"``).

    Raises:
        socket.gaierror: with ``EAI_NONAME`` when the name is not a valid IDNA
            name, so callers that catch the resolver's ``OSError`` also catch this.
    """
    if host.isascii():
        return host
    # Imported here, not at the top: idna and its UTS 46 tables take ~50 ms to
    # load, a cost only programs that meet a non-ASCII name should pay.
    import idna  # noqa: PLC0415

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as e:
        raise socket.gaierror(socket.EAI_NONAME, f"invalid host name {host!r}: {e}") from e
