"""An in-memory key-value server speaking RESP2, the Redis protocol, on squall-tcp alone.

Run it, then talk to it with any Redis client::

    python examples/resp_server.py --port 6380
    redis-cli -p 6380 set greeting hello ex 60
    redis-cli -p 6380 get greeting
    redis-benchmark -p 6380 -t ping,set,get -P 16 -q

Commands: ``PING [message]``, ``ECHO message``, ``GET key``,
``SET key value [EX seconds | PX milliseconds] [NX | XX]``, ``DEL key [key ...]``,
``EXISTS key [key ...]``, ``INCR key`` (and ``INCRBY``, ``DECR``, ``DECRBY``, which
redis-py's ``incr``/``decr`` send), with Redis's replies and error messages.
Requests are RESP arrays of bulk strings (what every client library sends) or inline
commands (``PING\\r\\n``, for telnet and ``nc``); pipelined requests are answered in
order, with the replies to one batch sent in one write.

The protocol (https://redis.io/docs/latest/develop/reference/protocol-spec/)::

    request  = array / inline
    array    = "*" count CRLF *( "$" length CRLF data CRLF )   ; count bulk strings
    inline   = arguments separated by spaces or tabs, CRLF

Two pieces, kept apart so that the parser can be tested without sockets:

* :class:`RespParser` is a sans-I/O state machine. It says what it needs next
  (:attr:`RespParser.next_read`: a CRLF-terminated line of at most so many bytes, or
  exactly so many bytes), takes that unit (:meth:`RespParser.feed_unit`) and returns a
  command once one is complete. :meth:`RespParser.feed` drives the same machine from
  arbitrary chunks of bytes.
* :class:`RespServer` is a :class:`~squall.tcpserver.TCPServer` whose ``handle_stream``
  turns ``next_read`` into ``stream.read_until(b"\\r\\n", max_bytes=...)`` or
  ``stream.read_bytes(...)``, and :class:`Store` executes the commands.

Every length is bounded (:class:`Limits`); malformed input gets
``-ERR Protocol error: ...`` and the connection is closed, as Redis does, and a line
longer than its limit closes the connection. Prints ``listening on <address>:<port>``
once bound; SIGINT or SIGTERM stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from squall.iostream import IOStream, StreamClosedError
from squall.tcpserver import TCPServer

Command = list[bytes]

LINE = 0  # next_read kind: a line ending in CRLF, CRLF included, of at most `size` bytes
DATA = 1  # next_read kind: exactly `size` bytes

# "*" count and "$" length: a decimal number without sign or leading zeros (Redis's
# string2ll also refuses "+1", " 1" and "01"), or -1 for a null array / bulk string.
_NUMBER = re.compile(rb"-1|0|[1-9][0-9]{0,17}")
_INLINE_SEPARATORS = re.compile(rb"[ \t]+")


class ProtocolError(Exception):
    """The peer broke RESP; the connection must be closed after replying.

    ``str(error)`` is the text sent back after ``-ERR Protocol error: ``.

    Attributes:
        commands: raised by :meth:`RespParser.feed`, the commands completed in the
            same chunk before the error (a server would have answered them).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.commands: list[Command] = []


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may hold (Redis's own defaults are larger).

    Attributes:
        max_array_length: the most arguments in one command (Redis: 1,048,576).
        max_bulk_length: the most bytes in one argument (Redis: 512 MiB).
        max_inline_length: the most bytes in an inline command line, CRLF included
            (Redis: 64 KiB). The first line of every request is read with this bound.
    """

    max_array_length: int = 1024
    max_bulk_length: int = 1024 * 1024
    max_inline_length: int = 64 * 1024


# The longest "$<length>\r\n" line: "$" + 18 digits + CRLF.
_MAX_HEADER_LINE = 21


class RespParser:
    """Parse RESP2 requests (arrays of bulk strings, or inline commands).

    A sans-I/O state machine: it never reads by itself. The caller asks
    :attr:`next_read` what to read, reads exactly that and hands it to
    :meth:`feed_unit`; or hands arbitrary chunks to :meth:`feed`. Both paths run the
    same checks, so a byte stream split anywhere yields the same commands.

    Args:
        limits: the bounds to enforce (default :class:`Limits`).
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._args: Command = []
        self._remaining = 0  # bulk strings still expected in the current array
        self._bulk = -1  # length of the bulk string whose data comes next, or -1
        self._buffer = bytearray()  # used by feed() only

    @property
    def next_read(self) -> tuple[int, int]:
        """What the parser needs next.

        Returns:
            ``(LINE, max_bytes)``: one line ending in CRLF, at most ``max_bytes``
            bytes with the CRLF (a longer line is a protocol error); or
            ``(DATA, n)``: exactly ``n`` bytes (a bulk string and its CRLF).
        """
        if self._bulk >= 0:
            return DATA, self._bulk + 2
        if self._remaining:
            return LINE, _MAX_HEADER_LINE
        return LINE, self.limits.max_inline_length

    def feed_unit(self, unit: bytes) -> Command | None:
        """Consume exactly the unit :attr:`next_read` asked for.

        Args:
            unit: for ``LINE``, a line ending in ``b"\\r\\n"`` (CRLF included); for
                ``DATA``, the requested number of bytes.

        Returns:
            The arguments of a command this unit completes (the name first, as
            given), or None if more is needed. Empty arrays and blank inline lines
            are skipped, as Redis does.

        Raises:
            ProtocolError: the unit breaks RESP or a limit.
        """
        if self._bulk >= 0:
            if unit[-2:] != b"\r\n" or len(unit) != self._bulk + 2:
                raise ProtocolError("expected CRLF after bulk string data")
            self._args.append(unit[:-2])
            self._bulk = -1
            self._remaining -= 1
            if self._remaining:
                return None
            args, self._args = self._args, []
            return args
        if not unit.endswith(b"\r\n"):
            raise ProtocolError("expected a line ending in CRLF")
        if self._remaining:
            if unit[:1] != b"$":
                raise ProtocolError(f"expected '$', got '{unit[:1].decode('latin-1')}'")
            self._bulk = self._number(unit, "bulk length", self.limits.max_bulk_length)
            if self._bulk < 0:
                raise ProtocolError("invalid bulk length")
            return None
        if len(unit) > self.limits.max_inline_length:
            raise ProtocolError("too big inline request")
        if unit[:1] == b"*":
            count = self._number(unit, "multibulk length", self.limits.max_array_length)
            if count > 0:
                self._remaining = count
            return None
        args = _INLINE_SEPARATORS.split(unit[:-2].strip(b" \t"))
        if args == [b""]:
            return None
        return args

    @staticmethod
    def _number(line: bytes, what: str, limit: int) -> int:
        """Parse the decimal after the type byte of ``*``/``$`` ``line`` (CRLF included)."""
        digits = line[1:-2]
        if _NUMBER.fullmatch(digits) is None:
            raise ProtocolError(f"invalid {what}")
        value = int(digits)
        if value > limit:
            raise ProtocolError(f"invalid {what}")
        return value

    def feed(self, data: bytes) -> list[Command]:
        """Consume any chunk of the byte stream; return the commands it completes.

        Args:
            data: the next bytes received, split anywhere.

        Returns:
            The complete commands, in order (possibly none). Bytes of an unfinished
            command stay buffered, at most one line limit or one bulk string.

        Raises:
            ProtocolError: the stream breaks RESP or a limit; the parser must then
                be discarded.
        """
        buf = self._buffer
        buf += data
        commands: list[Command] = []
        pos = 0
        while True:
            kind, size = self.next_read
            if kind == DATA:
                if len(buf) - pos < size:
                    break
                end = pos + size
            else:
                # As IOStream.read_until(b"\r\n", max_bytes=size): the CRLF must end
                # within `size` bytes. find() starts at pos, so this stays linear.
                loc = buf.find(b"\r\n", pos, pos + size)
                if loc < 0:
                    if len(buf) - pos >= size:
                        too_long = ProtocolError("line too long")
                        too_long.commands = commands
                        raise too_long
                    break
                end = loc + 2
            try:
                command = self.feed_unit(bytes(buf[pos:end]))
            except ProtocolError as e:
                e.commands = commands
                raise
            pos = end
            if command is not None:
                commands.append(command)
        del buf[:pos]
        return commands


def encode_command(*args: bytes) -> bytes:
    """Encode a request as a RESP array of bulk strings (what clients send).

    Args:
        *args: the command name and its arguments.

    Returns:
        The wire bytes.
    """
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


# ----------------------------------------------------------------- replies

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
NULL = b"$-1\r\n"
NOT_AN_INTEGER = b"-ERR value is not an integer or out of range\r\n"
SYNTAX_ERROR = b"-ERR syntax error\r\n"


def bulk(value: bytes) -> bytes:
    """Encode ``value`` as a RESP bulk string."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


def integer(value: int) -> bytes:
    """Encode ``value`` as a RESP integer."""
    return b":%d\r\n" % value


def error(message: str) -> bytes:
    """Encode ``message`` (one line) as a RESP error."""
    return b"-" + message.replace("\r", " ").replace("\n", " ").encode() + b"\r\n"


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _parse_int(value: bytes) -> int | None:
    """Redis's canonical 64-bit integer: no sign but '-', no spaces, no leading zeros."""
    if len(value) > 20 or re.fullmatch(rb"-?(0|[1-9][0-9]*)", value) is None or value == b"-0":
        return None
    number = int(value)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


# ------------------------------------------------------------------- store


class Store:
    """The key space: bytes keys to bytes values, with optional expiry.

    Expired keys vanish when touched, and a heap of deadlines removes the others on
    every command, so keys set with ``EX`` never pile up. Not thread-safe: use it
    from the event loop only.

    Args:
        clock: returns the current time in seconds (default ``time.monotonic``).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.data: dict[bytes, bytes] = {}
        self.deadlines: dict[bytes, float] = {}
        self._heap: list[tuple[float, bytes]] = []
        self._commands: dict[bytes, Callable[[Command], bytes]] = {
            b"PING": self._ping,
            b"ECHO": self._echo,
            b"GET": self._get,
            b"SET": self._set,
            b"DEL": self._del,
            b"EXISTS": self._exists,
            b"INCR": self._incr,
            b"INCRBY": self._incrby,
            b"DECR": self._decr,
            b"DECRBY": self._decrby,
        }

    def execute(self, args: Command) -> bytes:
        """Run one command.

        Args:
            args: the command name (any case) and its arguments, as parsed.

        Returns:
            The RESP reply: an error reply for unknown commands, wrong arity, bad
            options or values (Redis's messages); this method does not raise.
        """
        self._expire()
        name = args[0].upper()
        handler = self._commands.get(name)
        if handler is None:
            shown = args[0][:128].decode("utf-8", "replace")
            return error(f"ERR unknown command '{shown}'")
        return handler(args)

    def _expire(self) -> None:
        heap = self._heap
        if not heap:
            return
        now = self.clock()
        while heap and heap[0][0] <= now:
            deadline, key = heapq.heappop(heap)
            if self.deadlines.get(key) == deadline:
                del self.deadlines[key]
                del self.data[key]

    def _alive(self, key: bytes) -> bool:
        deadline = self.deadlines.get(key)
        if deadline is not None and deadline <= self.clock():
            del self.deadlines[key]
            del self.data[key]
            return False
        return key in self.data

    @staticmethod
    def _arity(args: Command, low: int, high: int | None = None) -> bytes | None:
        if len(args) < low or (high is not None and len(args) > high):
            name = args[0].lower().decode("latin-1")
            return error(f"ERR wrong number of arguments for '{name}' command")
        return None

    def _ping(self, args: Command) -> bytes:
        return self._arity(args, 1, 2) or (bulk(args[1]) if len(args) == 2 else PONG)

    def _echo(self, args: Command) -> bytes:
        return self._arity(args, 2, 2) or bulk(args[1])

    def _get(self, args: Command) -> bytes:
        if wrong := self._arity(args, 2, 2):
            return wrong
        return bulk(self.data[args[1]]) if self._alive(args[1]) else NULL

    def _set(self, args: Command) -> bytes:
        if wrong := self._arity(args, 3):
            return wrong
        key, value = args[1], args[2]
        ttl: float | None = None
        condition = b""
        i = 3
        while i < len(args):
            option = args[i].upper()
            if option in (b"EX", b"PX") and ttl is None and i + 1 < len(args):
                amount = _parse_int(args[i + 1])
                if amount is None:
                    return NOT_AN_INTEGER
                if amount <= 0:
                    return error("ERR invalid expire time in 'set' command")
                ttl = amount if option == b"EX" else amount / 1000
                i += 2
            elif option in (b"NX", b"XX") and not condition:
                condition = option
                i += 1
            else:
                return SYNTAX_ERROR
        exists = self._alive(key)
        if (condition == b"NX" and exists) or (condition == b"XX" and not exists):
            return NULL
        self.data[key] = value
        if ttl is None:
            self.deadlines.pop(key, None)
        else:
            deadline = self.clock() + ttl
            self.deadlines[key] = deadline
            heapq.heappush(self._heap, (deadline, key))
        return OK

    def _del(self, args: Command) -> bytes:
        if wrong := self._arity(args, 2):
            return wrong
        removed = 0
        for key in args[1:]:
            if self._alive(key):
                del self.data[key]
                self.deadlines.pop(key, None)
                removed += 1
        return integer(removed)

    def _exists(self, args: Command) -> bytes:
        if wrong := self._arity(args, 2):
            return wrong
        return integer(sum(1 for key in args[1:] if self._alive(key)))

    def _incr(self, args: Command) -> bytes:
        return self._arity(args, 2, 2) or self._add(args[1], 1)

    def _decr(self, args: Command) -> bytes:
        return self._arity(args, 2, 2) or self._add(args[1], -1)

    def _incrby(self, args: Command) -> bytes:
        if wrong := self._arity(args, 3, 3):
            return wrong
        amount = _parse_int(args[2])
        return NOT_AN_INTEGER if amount is None else self._add(args[1], amount)

    def _decrby(self, args: Command) -> bytes:
        if wrong := self._arity(args, 3, 3):
            return wrong
        amount = _parse_int(args[2])
        return NOT_AN_INTEGER if amount is None else self._add(args[1], -amount)

    def _add(self, key: bytes, amount: int) -> bytes:
        current = 0
        if self._alive(key):
            parsed = _parse_int(self.data[key])
            if parsed is None:
                return NOT_AN_INTEGER
            current = parsed
        current += amount
        if not _INT64_MIN <= current <= _INT64_MAX:
            return error("ERR increment or decrement would overflow")
        self.data[key] = b"%d" % current
        return integer(current)


# ------------------------------------------------------------------ server

_FLUSH_AT = 64 * 1024  # send batched replies once this many bytes are waiting


class RespServer(TCPServer):
    """Serve a :class:`Store` over RESP2 (a :class:`~squall.tcpserver.TCPServer`).

    Args:
        store: the key space (a new empty :class:`Store` by default); several
            servers may share one.
        limits: request bounds (default :class:`Limits`).
        **kwargs: passed to :class:`~squall.tcpserver.TCPServer` (``ssl_options``,
            ...). ``max_buffer_size`` defaults to twice the largest request unit.
    """

    def __init__(
        self, store: Store | None = None, limits: Limits | None = None, **kwargs: Any
    ) -> None:
        self.store = store or Store()
        self.limits = limits or Limits()
        biggest = max(self.limits.max_bulk_length + 2, self.limits.max_inline_length)
        kwargs.setdefault("max_buffer_size", 2 * biggest)
        super().__init__(**kwargs)

    async def handle_stream(self, stream: IOStream, address: Any) -> None:
        """Answer the requests of one connection, in order, until it closes.

        Replies are collected while the next request is already buffered (a read
        future that is done at once) and sent in one write when the parser has to
        wait for the network, so a pipelined batch costs one ``send``.

        Args:
            stream: the connection.
            address: the peer's address (unused).
        """
        parser = RespParser(self.limits)
        execute = self.store.execute
        replies: list[bytes] = []
        waiting = 0  # bytes in replies
        try:
            while True:
                kind, size = parser.next_read
                if kind == LINE:
                    read = stream.read_until(b"\r\n", max_bytes=size)
                else:
                    read = stream.read_bytes(size)
                if replies and (waiting >= _FLUSH_AT or not read.done()):
                    out = b"".join(replies)
                    replies.clear()
                    waiting = 0
                    await stream.write(out)
                unit = await read
                try:
                    command = parser.feed_unit(unit)
                except ProtocolError as e:
                    replies.append(error(f"ERR Protocol error: {e}"))
                    await stream.write(b"".join(replies))
                    stream.close()
                    return
                if command is not None:
                    reply = execute(command)
                    replies.append(reply)
                    waiting += len(reply)
        except StreamClosedError:
            pass  # the client left, or a line went over its limit (UnsatisfiableReadError)


async def serve(port: int, address: str) -> None:
    """Listen on ``address``:``port`` until SIGINT or SIGTERM.

    Args:
        port: the TCP port.
        address: the IP address to bind.
    """
    server = RespServer()
    server.listen(port, address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {address}:{port}", flush=True)
    await stop.wait()
    server.stop()


def main() -> None:
    """Parse the command line and run the server."""
    parser = argparse.ArgumentParser(description="squall RESP2 key-value server")
    parser.add_argument("--port", type=int, default=6380, help="TCP port (default 6380)")
    parser.add_argument("--address", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (must be installed)")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415

        uvloop.run(serve(args.port, args.address))
    else:
        asyncio.run(serve(args.port, args.address))


if __name__ == "__main__":
    main()
