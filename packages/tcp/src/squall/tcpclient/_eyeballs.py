"""Happy eyeballs (RFC 8305): race staggered connection attempts, keep the first."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from squall.iostream import IOStream

__all__ = ["INITIAL_CONNECT_TIMEOUT", "describe", "happy_eyeballs", "interleave"]

# RFC 8305 section 5 "Connection Attempt Delay": 250 ms recommended; Tornado uses 300.
INITIAL_CONNECT_TIMEOUT = 0.3

_AddrInfo = list[tuple[int, Any]]
_Attempt = Callable[[int, Any], tuple[IOStream, "asyncio.Future[IOStream]"]]


def interleave(addrinfo: _AddrInfo) -> _AddrInfo:
    """Order addresses for RFC 8305 section 4: alternate families, first family first.

    The resolver's first answer decides which family leads (the system's
    preference, RFC 6724: usually IPv6 when the host has it); then one address of
    the other family, one of the first, and so on, keeping each family's order.
    """
    if not addrinfo:
        return []
    first_family = addrinfo[0][0]
    primary = [info for info in addrinfo if info[0] == first_family]
    secondary = [info for info in addrinfo if info[0] != first_family]
    ordered: _AddrInfo = []
    for i in range(max(len(primary), len(secondary))):
        ordered.extend(primary[i : i + 1])
        ordered.extend(secondary[i : i + 1])
    return ordered


async def happy_eyeballs(
    addrinfo: _AddrInfo, attempt: _Attempt, delay: float | None = None
) -> tuple[int, Any, IOStream]:
    """Connect to the first address that answers, per RFC 8305 section 5.

    Attempts start in :func:`interleave` order; each new attempt starts ``delay``
    seconds after the previous one, or at once when an attempt fails. Earlier
    attempts keep running. The first attempt to connect wins; every other
    attempt is closed, whether it is still connecting or connected too (and so are
    all of them if this coroutine is cancelled, e.g. by a timeout).

    Args:
        addrinfo: ``(family, sockaddr)`` pairs from a resolver.
        attempt: ``attempt(family, sockaddr)`` returns a new stream and the future
            of its ``connect``; it may raise ``OSError`` (say, a source address
            that cannot be bound for this family), which counts as a failed
            attempt.
        delay: seconds between attempt starts; None reads
            ``INITIAL_CONNECT_TIMEOUT`` (0.3) at call time.

    Returns:
        ``(family, sockaddr, stream)`` of the winning connection.

    Raises:
        OSError: every attempt failed; the last failure is raised (usually a
            ``StreamClosedError`` whose ``real_error`` is the ``OSError``).
    """
    if delay is None:
        delay = INITIAL_CONNECT_TIMEOUT
    step = delay
    loop = asyncio.get_running_loop()
    queue = iter(interleave(addrinfo))
    running: dict[asyncio.Future[IOStream], tuple[int, Any, IOStream]] = {}
    last_error: BaseException | None = None
    next_start = loop.time()
    more = True

    def start_next() -> None:
        nonlocal last_error, next_start, more
        for family, address in queue:
            try:
                stream, future = attempt(family, address)
            except OSError as e:
                last_error = e
                continue
            running[future] = (family, address, stream)
            next_start = loop.time() + step
            return
        more = False

    try:
        start_next()
        while running:
            timeout = max(0.0, next_start - loop.time()) if more else None
            done, _ = await asyncio.wait(
                running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            winner: tuple[int, Any, IOStream] | None = None
            failed = False
            for future in done:
                info = running.pop(future)
                error = future.exception()
                if error is not None:
                    last_error = error
                    failed = True
                    info[2].close()
                elif winner is None:
                    winner = info
                else:
                    info[2].close()  # two finished together: keep one
            if winner is not None:
                return winner
            if failed or not done:
                start_next()
        if last_error is None:
            last_error = OSError("no address to connect to")
        raise last_error
    finally:
        for future, (_, _, stream) in running.items():
            stream.close()
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: asyncio must not log it
        running.clear()


def describe(addrinfo: _AddrInfo) -> str:
    """Format addresses for an error message: ``"127.0.0.1:80, [::1]:80"``."""
    parts = []
    for family, address in addrinfo:
        if family == socket.AF_INET6:
            parts.append(f"[{address[0]}]:{address[1]}")
        else:
            parts.append(f"{address[0]}:{address[1]}")
    return ", ".join(parts)
