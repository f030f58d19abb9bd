"""SSLIOStream: an IOStream whose transport is asyncio's TLS transport.

Every way of getting a TLS stream goes through one handshake path: a plain asyncio
transport is upgraded in place with ``loop.start_tls``. ``SSLIOStream(sock)`` and
``connect`` first hand the socket to a plain transport whose protocol reads
nothing; ``TCPServer`` and ``IOStream.start_tls`` already have one. So a failed
handshake is handled (closed, logged once) in one place, ``_handshake``, whatever
the side.

Why not ``loop.create_server(ssl=...)``: asyncio then runs the handshake before the
protocol exists and drops a failure silently (or, in debug mode, reports it with a
traceback through the loop's exception handler), so the server could neither log
it once nor attach the error to a stream.
"""

from __future__ import annotations

import asyncio
import logging
import socket as _socket
import ssl
from typing import Any, cast

from squall.iostream._base import _ExcInfo
from squall.iostream._errors import closed_error
from squall.iostream._iostream import _HANDED_OVER, IOStream
from squall.iostream._protocol import StreamProtocol
from squall.netutil._ssl import default_ssl_context, ssl_options_to_context

__all__ = ["SSLIOStream"]

_gen_log = logging.getLogger("squall.general")

_SSLOptions = dict[str, Any] | ssl.SSLContext | None


class _HoldProtocol(asyncio.Protocol):
    """Owns a plain transport until ``start_tls`` takes it over: reads nothing.

    uvloop starts reading right after ``connection_made`` even if it paused reading
    (asyncio honours the pause), so the peer's first TLS bytes (a ClientHello) can
    still arrive here. They are kept in :attr:`held`, reading is paused again, and
    ``_handshake`` hands them to the TLS protocol before anything newer.
    """

    __slots__ = ("_transport", "held")

    def __init__(self, transport: asyncio.BaseTransport | None = None) -> None:
        self._transport = transport
        self.held = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        cast(asyncio.ReadTransport, transport).pause_reading()

    def data_received(self, data: bytes) -> None:
        self.held += data
        transport = self._transport
        if transport is not None and not transport.is_closing():
            cast(asyncio.ReadTransport, transport).pause_reading()


def _feed(transport: asyncio.BaseTransport, data: bytes) -> None:
    """Deliver ``data`` to the transport's (TLS) protocol as the transport would."""
    if transport.is_closing():
        return
    protocol: Any = transport.get_protocol()
    if isinstance(protocol, _HoldProtocol):  # pragma: no cover - start_tls did not run
        protocol.held[:0] = data
        return
    if not hasattr(protocol, "buffer_updated"):  # pragma: no cover - both loops buffer
        protocol.data_received(data)
        return
    view = memoryview(data)
    while view:
        buf = protocol.get_buffer(len(view))
        size = min(len(buf), len(view))
        buf[:size] = view[:size]
        protocol.buffer_updated(size)
        view = view[size:]


class SSLIOStream(IOStream):
    """An :class:`IOStream` speaking TLS, as Tornado's ``tornado.iostream.SSLIOStream``.

    The encryption runs in asyncio's TLS transport (``loop.start_tls``), so reads,
    writes, buffering and backpressure behave exactly as on :class:`IOStream`.
    Reads and writes issued before the handshake has finished wait for it. Ways to
    get one:

    * a client: ``await SSLIOStream(socket.socket(), ssl_options=ctx).connect(
      (host, port), server_hostname=host)`` (the future resolves after the
      handshake);
    * a TLS server: :class:`~squall.tcpserver.TCPServer` with ``ssl_options`` hands
      ``handle_stream`` an ``SSLIOStream`` whose handshake is already done;
    * an upgrade: ``await stream.start_tls(server_side, ssl_options)``;
    * a connected socket: ``SSLIOStream(sock, ssl_options=..., server_side=...)``,
      or, as in Tornado, a socket wrapped with ``ctx.wrap_socket(sock,
      do_handshake_on_connect=False, ...)`` (its context, side and host name are
      used; squall takes its file descriptor back and runs TLS in asyncio).

    A failed handshake closes the stream with the ``ssl.SSLError`` (or
    ``OSError``) as :attr:`error` and as the ``real_error`` of the
    :class:`StreamClosedError` that pending operations fail with. It is logged once,
    without a traceback, on ``squall.general``: at WARNING for TLS protocol and
    certificate errors (as Tornado), at DEBUG for a peer that reset or closed the
    connection mid-handshake. asyncio's handshake timeout (60 seconds) applies.

    Args:
        socket (socket.socket): a TCP socket, connected or not (see above). The
            stream owns it from now on.
        max_buffer_size (int | None): see :class:`BaseIOStream`.
        read_chunk_size (int | None): see :class:`BaseIOStream`.
        max_write_buffer_size (int | None): see :class:`BaseIOStream`.
        ssl_options (ssl.SSLContext | dict | None): keyword-only. An
            ``ssl.SSLContext`` (set ALPN protocols, SNI callbacks and the like on
            it) or Tornado's dict form (``certfile``, ``keyfile``, ``cert_reqs``,
            ``ca_certs``, ``ciphers``; see
            :func:`squall.netutil.ssl_options_to_context`). None: the default client
            context (verifies against the system CA store and checks the host
            name), or on the server side one without a certificate.
        server_side (bool | None): keyword-only, for a connected socket: True to
            act as the TLS server. None infers it: the wrapped socket's side, else
            server for a ``PROTOCOL_TLS_SERVER`` context or a dict with a
            ``certfile``, else client. :meth:`connect` always acts as the client.
        server_hostname (str | None): keyword-only, client side: the name sent in
            SNI and checked against the certificate (see :meth:`connect`).

    Raises:
        ValueError: bad ``ssl_options``; or a connected client socket, a context
            that checks host names and no ``server_hostname``.
        OSError, ssl.SSLError: a certificate or key file cannot be loaded.
    """

    __slots__ = (
        "_early_close",
        "_handshake_done",
        "_handshake_future",
        "_handshaking",
        "_plain_transport",
        "_raw_transport",
        "_server_hostname",
        "_server_side",
        "_ssl_context",
        "_ssl_options",
    )

    _early_close: tuple[Exception | None] | None
    _handshake_done: bool
    _handshake_future: asyncio.Future[SSLIOStream] | None
    _handshaking: bool
    _plain_transport: asyncio.BaseTransport | None
    _raw_transport: asyncio.BaseTransport | None
    _server_hostname: str | None
    _server_side: bool | None
    _ssl_context: ssl.SSLContext | None
    _ssl_options: _SSLOptions

    def __init__(
        self,
        socket: _socket.socket,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
        *,
        ssl_options: _SSLOptions = None,
        server_side: bool | None = None,
        server_hostname: str | None = None,
    ) -> None:
        if isinstance(socket, ssl.SSLSocket):
            # Tornado's form: wrapped with do_handshake_on_connect=False. Take the
            # settings, and the plain file descriptor back for asyncio's transport.
            if ssl_options is None:
                ssl_options = socket.context
            if server_side is None:
                server_side = socket.server_side
            if server_hostname is None:
                server_hostname = socket.server_hostname
            family, type_, proto = socket.family, socket.type, socket.proto
            socket = _socket.socket(family, type_, proto, fileno=socket.detach())
        self._init_tls(ssl_options, server_side, server_hostname)
        try:
            socket.getpeername()
        except OSError:
            pass  # not connected: connect() picks the client side
        else:
            self._prepare_context(_infer_server_side(ssl_options, server_side))
        super().__init__(socket, max_buffer_size, read_chunk_size, max_write_buffer_size)

    @classmethod
    def _for_upgrade(
        cls,
        socket: Any,
        loop: asyncio.AbstractEventLoop,
        *,
        ssl_options: _SSLOptions,
        server_side: bool,
        server_hostname: str | None,
        max_buffer_size: int | None = None,
        read_chunk_size: int | None = None,
        max_write_buffer_size: int | None = None,
    ) -> SSLIOStream:
        """Build a stream for an existing plain transport (start it with ``_start_upgrade``)."""
        stream = cls.__new__(cls)
        stream._init_state(loop, max_buffer_size, read_chunk_size, max_write_buffer_size)
        stream.socket = socket
        stream._connect_future = None
        stream._attach_task = None
        stream._attach_state = _HANDED_OVER
        stream._init_tls(ssl_options, server_side, server_hostname)
        stream._prepare_context(server_side)
        return stream

    def connect(
        self, address: Any, server_hostname: str | None = None
    ) -> asyncio.Future[IOStream]:
        """Connect to ``address`` and perform the TLS handshake as the client.

        Args:
            address: the address in the socket family's format, e.g.
                ``("example.com", 443)`` or ``("127.0.0.1", 8443)``.
            server_hostname: the name sent in SNI and checked against the server's
                certificate (unless the context disables the check). None uses the
                one given to the constructor, else the host of ``address`` (Tornado
                leaves it unset, which fails with a verifying context).

        Returns:
            A future resolving to this stream once connected and the handshake is
            done. On failure the stream is closed and the future fails with
            :class:`StreamClosedError` whose ``real_error`` is the ``OSError`` or
            ``ssl.SSLError`` (for instance ``ssl.SSLCertVerificationError`` for an
            unknown CA or a host name mismatch).

        Raises:
            RuntimeError: the stream is already connected or connecting.
            ValueError: bad ``ssl_options``, or no host name for a context that
                checks them.
        """
        if server_hostname is not None:
            self._server_hostname = server_hostname
        elif self._server_hostname is None and isinstance(address, tuple) and address:
            host = address[0]
            if isinstance(host, str):
                self._server_hostname = host
        self._prepare_context(False)
        return super().connect(address)

    def wait_for_handshake(self) -> asyncio.Future[SSLIOStream]:
        """Wait for the initial TLS handshake, as Tornado's ``wait_for_handshake``.

        Meant for server-side streams and :meth:`IOStream.start_tls` (``connect``
        already waits). Streams from ``TCPServer`` have finished their handshake, so
        the future is already resolved. Unlike Tornado, calling it more than once is
        allowed (the same future is returned).

        Returns:
            A future resolving to this stream once the handshake is done; after it,
            :meth:`selected_alpn_protocol` and :meth:`get_ssl_certificate` answer.
            If the stream closes first (a failed handshake included), it fails with
            :class:`StreamClosedError` whose ``real_error`` is the cause.
        """
        future = self._handshake_future
        if future is None:
            future = self._handshake_future = self._loop.create_future()
            if self._handshake_done:
                future.set_result(self)
            elif self._closed:
                future.set_exception(closed_error(self.error))
                future.exception()  # the caller may not await it
        return future

    def selected_alpn_protocol(self) -> str | None:
        """Return the ALPN protocol the handshake agreed on (RFC 7301).

        Set the protocols to offer with ``ssl.SSLContext.set_alpn_protocols`` on the
        context passed as ``ssl_options`` (both sides). Tornado users read this from
        ``stream.socket``; here the TLS state lives in the transport, so ask the
        stream.

        Returns:
            The protocol name (e.g. ``"h2"``), or None if none was negotiated or the
            handshake has not finished.
        """
        ssl_object = self._ssl_object()
        return None if ssl_object is None else ssl_object.selected_alpn_protocol()

    def get_ssl_certificate(self, binary_form: bool = False) -> dict[str, Any] | bytes | None:
        """Return the peer's certificate, as ``ssl.SSLSocket.getpeercert``.

        Args:
            binary_form: True for the DER-encoded bytes, False for the decoded dict.

        Returns:
            The certificate; None if the peer sent none or the handshake has not
            finished. The dict form is empty when the certificate was not verified
            (``CERT_NONE``), as in the ``ssl`` module.
        """
        ssl_object = self._ssl_object()
        if ssl_object is None:
            return None
        if binary_form:
            return ssl_object.getpeercert(True)
        return cast("dict[str, Any] | None", ssl_object.getpeercert(False))

    # -------------------------------------------------------------- internals

    def _init_tls(
        self, ssl_options: _SSLOptions, server_side: bool | None, server_hostname: str | None
    ) -> None:
        self._ssl_options = ssl_options
        self._server_side = server_side
        self._server_hostname = server_hostname
        self._ssl_context = None
        self._handshake_future = None
        self._handshake_done = False
        self._handshaking = False
        self._early_close = None
        self._raw_transport = None
        self._plain_transport = None

    def _prepare_context(self, server_side: bool) -> None:
        options = self._ssl_options
        if options is None:
            context = default_ssl_context(server_side)
        else:
            context = ssl_options_to_context(options, server_side=server_side)
        if not server_side and context.check_hostname and not self._server_hostname:
            raise ValueError("server_hostname is needed: the SSL context checks host names")
        self._server_side = server_side
        self._ssl_context = context

    def _ssl_object(self) -> ssl.SSLObject | None:
        transport = self._transport
        if transport is None or not self._handshake_done:
            return None
        return cast("ssl.SSLObject | None", transport.get_extra_info("ssl_object"))

    async def _open_transport(self, sock: _socket.socket) -> None:
        holder = _HoldProtocol()
        raw, _ = await self._loop.connect_accepted_socket(lambda: holder, sock)
        await self._handshake(raw)

    def _start_upgrade(self, raw: asyncio.BaseTransport) -> asyncio.Future[SSLIOStream]:
        """Start the handshake on ``raw`` (reading already paused); return its future."""
        self._raw_transport = raw
        raw.set_protocol(_HoldProtocol(raw))  # keeps bytes uvloop reads despite the pause
        task = self._loop.create_task(self._upgrade(raw))
        self._attach_task = task
        task.add_done_callback(self._attach_done)
        future = self.wait_for_handshake()
        future.add_done_callback(self._upgrade_future_done)
        return future

    async def _upgrade(self, raw: asyncio.BaseTransport) -> None:
        try:
            await self._handshake(raw)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.close(exc_info=e)

    def _upgrade_future_done(self, future: asyncio.Future[SSLIOStream]) -> None:
        if future.cancelled() and not self._handshake_done:
            self.close()  # Tornado 6.6: cancelling start_tls closes the new stream

    async def _handshake(self, raw: asyncio.BaseTransport) -> None:
        """Run TLS over the plain transport ``raw``; attach the stream to the result.

        Raises the handshake's exception after logging it once (the callers close
        the stream with it).
        """
        context = self._ssl_context
        assert context is not None
        server_side = bool(self._server_side)
        self._raw_transport = raw
        # The raw side keeps asyncio's default write limits: the stream's own
        # limits go on the TLS transport (see BaseIOStream._attach).
        cast(asyncio.WriteTransport, raw).set_write_buffer_limits()
        protocol = StreamProtocol(self)
        holder = raw.get_protocol()
        held = bytes(holder.held) if isinstance(holder, _HoldProtocol) else b""
        self._handshaking = True
        try:
            starting = self._loop.start_tls(
                cast(asyncio.WriteTransport, raw),
                protocol,
                context,
                server_side=server_side,
                server_hostname=None if server_side else self._server_hostname,
            )
            if held:
                # start_tls's first step swaps in the TLS protocol and schedules its
                # connection_made and resume_reading; two call_soon hops put the
                # held bytes right behind them, in the same loop iteration (so
                # before any newer bytes are read).
                tls_future = asyncio.ensure_future(starting, loop=self._loop)
                self._loop.call_soon(self._loop.call_soon, _feed, raw, held)
                tls = await tls_future
            else:
                tls = await starting
            if tls is None or (tls.is_closing() and len(self._rbuf) == self._rpos):
                # uvloop can report success for a peer that hung up mid-handshake.
                raise ConnectionResetError("connection lost during the TLS handshake")
        except asyncio.CancelledError:
            # start_tls closes only a TLS protocol that got to connection_made: make
            # sure the socket goes (uvloop turns an unclosed one into a hang at exit).
            cast(asyncio.WriteTransport, raw).abort()
            raise
        except Exception as e:
            _log_handshake_error(e, raw.get_extra_info("peername"))
            # Nothing more to send or flush: release the socket now.
            cast(asyncio.WriteTransport, raw).abort()
            raise
        finally:
            self._handshaking = False
            self._raw_transport = None
        self._plain_transport = raw
        if tls.is_closing():  # the peer sent data and closed at once: keep the data
            self._transport = tls
        else:
            self._attach(tls)
        self._handshake_done = True
        future = self._handshake_future
        if future is not None and not future.done():
            future.set_result(self)
        early = self._early_close
        if early is not None:  # the peer closed right after the handshake
            self._early_close = None
            self._on_lost(early[0])

    def close(self, exc_info: _ExcInfo = False) -> None:
        """Close the stream; see :meth:`BaseIOStream.close`.

        asyncio's TLS transport sends the TLS ``close_notify`` alert at once, then
        would keep the connection open until the peer answers with its own (up to
        30 seconds). squall closes the plain transport underneath right away
        instead (it still sends what it holds, ``close_notify`` included), as
        TLS 1.3 allows (RFC 8446, section 6.1): so the socket is released even if
        the event loop stops right after this call, and a silent peer cannot keep
        it open.

        Args:
            exc_info: see :meth:`BaseIOStream.close`.
        """
        super().close(exc_info)
        plain = self._plain_transport
        if plain is not None:
            self._plain_transport = None
            plain.close()

    def _on_eof(self) -> None:
        if self._handshaking:
            if self._early_close is None:
                self._early_close = (None,)
            return
        super()._on_eof()

    def _on_lost(self, exc: Exception | None) -> None:
        if self._handshaking:
            early = self._early_close
            if early is None or (early[0] is None and exc is not None):
                self._early_close = (exc,)
            return
        super()._on_lost(exc)

    def _close_unattached(self) -> None:
        raw = self._raw_transport
        task = self._attach_task
        if raw is not None:  # handshaking (or about to): stop it, drop the connection
            self._raw_transport = None
            if task is not None:
                task.cancel()
            raw.close()
        elif task is not None and self._attach_state == _HANDED_OVER:
            task.cancel()  # the plain transport is being set up: asyncio closes it
        else:
            super()._close_unattached()

    def _signal_closed(self) -> None:
        super()._signal_closed()
        future = self._handshake_future
        if future is not None and not future.done():
            future.set_exception(closed_error(self.error))
            future.exception()


def _infer_server_side(ssl_options: _SSLOptions, server_side: bool | None) -> bool:
    if server_side is not None:
        return server_side
    if isinstance(ssl_options, ssl.SSLContext):
        return ssl_options.protocol == ssl.PROTOCOL_TLS_SERVER
    return ssl_options is not None and "certfile" in ssl_options


def _log_handshake_error(error: Exception, peer: Any) -> None:
    """Log a failed handshake once, without a traceback (Tornado logs a warning)."""
    quiet = isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError) or (
        isinstance(error, OSError) and not isinstance(error, ssl.SSLError)
    )
    if isinstance(peer, tuple) and len(peer) >= 2:
        where = f"{peer[0]}:{peer[1]}"
    else:
        where = repr(peer) if peer else "(not connected)"
    _gen_log.log(
        logging.DEBUG if quiet else logging.WARNING,
        "SSL handshake with %s failed: %s",
        where,
        error,
    )
