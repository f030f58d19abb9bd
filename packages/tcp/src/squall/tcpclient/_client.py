"""TCPClient: resolve, connect with happy eyeballs, optionally start TLS."""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
from collections.abc import Awaitable
from typing import Any, TypeVar

from squall.iostream import IOStream
from squall.netutil import Resolver
from squall.netutil._idna import encode_host
from squall.tcpclient._eyeballs import describe, happy_eyeballs

__all__ = ["TCPClient"]

_T = TypeVar("_T")


async def _before(deadline: float | None, awaitable: Awaitable[_T], phase: str) -> _T:
    """Await ``awaitable``, cancelling it at loop time ``deadline`` (TimeoutError)."""
    if deadline is None:
        return await awaitable
    try:
        async with asyncio.timeout_at(deadline):
            return await awaitable
    except TimeoutError:
        raise TimeoutError(f"Timeout {phase}") from None


class TCPClient:
    """A non-blocking TCP connection factory (Tornado's ``tornado.tcpclient.TCPClient``).

    :meth:`connect` resolves the host, races connections to its addresses with
    happy eyeballs (RFC 8305) and returns a connected :class:`~squall.iostream.IOStream`,
    upgraded to TLS when ``ssl_options`` is given::

        client = TCPClient()
        stream = await client.connect("example.com", 443, ssl_options={})
        ...
        client.close()

    Args:
        resolver (squall.netutil.Resolver | None): resolves host names; None (the
            default) makes a new :class:`~squall.netutil.Resolver` that
            :meth:`close` closes. A resolver passed in is not closed by this client.
    """

    def __init__(self, resolver: Resolver | None = None) -> None:
        if resolver is None:
            self.resolver: Resolver = Resolver()
            self._own_resolver = True
        else:
            self.resolver = resolver
            self._own_resolver = False

    def close(self) -> None:
        """Close the resolver, if this client made it."""
        if self._own_resolver:
            self.resolver.close()

    async def connect(  # noqa: PLR0917 - Tornado's positional signature
        self,
        host: str,
        port: int,
        af: socket.AddressFamily = socket.AF_UNSPEC,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        max_buffer_size: int | None = None,
        source_ip: str | None = None,
        source_port: int | None = None,
        timeout: float | datetime.timedelta | None = None,
    ) -> IOStream:
        """Connect to ``host``:``port`` and return the connected stream.

        The host is resolved with the resolver, then connections to its addresses
        are raced as RFC 8305 (happy eyeballs) describes: addresses are
        interleaved by family, starting with the family of the resolver's first
        answer (IPv6 first when the system prefers it); each attempt starts 300 ms
        (``_INITIAL_CONNECT_TIMEOUT``) after the previous one, or at once when the
        previous one fails; the first connection made wins and every other attempt
        is closed. Tornado staggers only between the two families; squall
        staggers every address, as the RFC does.

        Args:
            host (str): a host name (non-ASCII names are IDNA-encoded) or an IP
                address literal.
            port (int): the TCP port.
            af (socket.AddressFamily): ``AF_INET`` or ``AF_INET6`` to use only one
                family; ``AF_UNSPEC`` (default) for both.
            ssl_options (dict | ssl.SSLContext | None): when given, the stream is
                upgraded with ``stream.start_tls(False, ssl_options,
                server_hostname=host)``, which verifies the server's certificate
                for ``host`` (sent as SNI) unless the options say otherwise.
            max_buffer_size (int | None): the stream's read buffer limit in bytes
                (see :class:`~squall.iostream.BaseIOStream`).
            source_ip (str | None): bind the socket to this local address first.
                An address of the wrong family makes that attempt fail, so only
                addresses of its family can win.
            source_port (int | None): bind the socket to this local port first
                (with no ``source_ip``, on the wildcard address; Tornado binds to
                the loopback address instead, which cannot reach other hosts).
            timeout (float | datetime.timedelta | None): the whole operation
                (lookup, connection, TLS handshake) must finish within this many
                seconds; None waits as long as the system does.

        Returns:
            The connected :class:`~squall.iostream.IOStream` (an ``SSLIOStream``
            when ``ssl_options`` was given).

        Raises:
            squall.util.TimeoutError: ``timeout`` expired (the builtin ``TimeoutError``); the
                message names the phase (resolving, connecting, TLS handshake) and
                every pending attempt has been closed.
            OSError: the lookup failed (``socket.gaierror``, also for an invalid
                IDNA name), or every connection attempt failed: the last failure
                is raised, usually a :class:`~squall.iostream.StreamClosedError`
                whose ``real_error`` is the ``OSError`` (``ConnectionRefusedError``...).
            ssl.SSLError: the TLS handshake failed (certificate, protocol...),
                possibly wrapped in a ``StreamClosedError`` by the stream.
            TypeError: ``timeout`` is neither a number nor a ``timedelta``.
        """
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        if timeout is not None:
            if isinstance(timeout, datetime.timedelta):
                seconds = timeout.total_seconds()
            else:
                try:
                    seconds = float(timeout)
                except (TypeError, ValueError):
                    raise TypeError(f"Unsupported timeout {timeout!r}") from None
            deadline = loop.time() + seconds
        addrinfo = await _before(
            deadline, self.resolver.resolve(host, port, af), f"while resolving {host!r}"
        )
        if not addrinfo:
            raise OSError(f"{host!r} resolved to no addresses")

        def attempt(family: int, address: Any) -> tuple[IOStream, asyncio.Future[IOStream]]:
            return self._create_stream(
                max_buffer_size, family, address, source_ip=source_ip, source_port=source_port
            )

        _, _, stream = await _before(
            deadline,
            happy_eyeballs(addrinfo, attempt),
            f"while connecting to {host!r} (tried {describe(addrinfo)})",
        )
        if ssl_options is None:
            return stream
        try:
            return await _before(
                deadline,
                stream.start_tls(
                    False, ssl_options=ssl_options, server_hostname=encode_host(host)
                ),
                f"during the TLS handshake with {host!r}",
            )
        except BaseException:
            stream.close()
            raise

    def _create_stream(
        self,
        max_buffer_size: int | None,
        af: int,
        addr: Any,
        source_ip: str | None = None,
        source_port: int | None = None,
    ) -> tuple[IOStream, asyncio.Future[IOStream]]:
        """Start one connection attempt: a new stream and its ``connect`` future.

        Raises:
            OSError: the socket cannot be created or bound to the source address.
        """
        sock = socket.socket(af, socket.SOCK_STREAM)
        try:
            if source_ip or source_port:
                local = source_ip or ("::" if af == socket.AF_INET6 else "0.0.0.0")
                sock.bind((local, source_port or 0))
            stream = IOStream(sock, max_buffer_size=max_buffer_size)
        except BaseException:
            sock.close()
            raise
        return stream, stream.connect(addr)
