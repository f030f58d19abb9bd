"""The RESP2 parser and key space of examples/resp_server.py, without sockets.

Hypothesis: encoded commands round-trip, any split of the byte stream yields the same
commands, the stream-driven path (``next_read``/``feed_unit``, what the server uses)
agrees with the chunk path (``feed``), and hostile bytes give commands, an incomplete
parse or ``ProtocolError``, never another exception.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resp_server.py"


def load_example() -> ModuleType:
    name = "resp_server_example"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


resp = load_example()
SMALL = resp.Limits(max_array_length=8, max_bulk_length=64, max_inline_length=128)

args_st = st.lists(st.binary(max_size=64), min_size=1, max_size=8)
commands_st = st.lists(args_st, max_size=10)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def feed_all(parser: object, chunks: list[bytes]) -> list[list[bytes]]:
    out: list[list[bytes]] = []
    for chunk in chunks:
        out.extend(parser.feed(chunk))  # type: ignore[attr-defined]
    return out


def ending(parser: object, leftover: int) -> str:
    idle = parser.next_read == (resp.LINE, parser.limits.max_inline_length)  # type: ignore[attr-defined]
    return "complete" if idle and not leftover else "incomplete"


def drive_units(data: bytes, limits: object = SMALL) -> tuple[list[list[bytes]], str]:
    """Parse as RespServer.handle_stream does: read exactly what next_read asks for.

    Returns the commands and how it ended: "error", "incomplete" or "complete".
    """
    parser = resp.RespParser(limits)
    commands: list[list[bytes]] = []
    pos = 0
    while True:
        kind, size = parser.next_read
        if kind == resp.DATA:
            if len(data) - pos < size:
                return commands, ending(parser, len(data) - pos)
            end = pos + size
        else:  # read_until(b"\r\n", max_bytes=size)
            loc = data.find(b"\r\n", pos, pos + size)
            if loc < 0:
                if len(data) - pos >= size:
                    return commands, "error"
                return commands, ending(parser, len(data) - pos)
            end = loc + 2
        try:
            command = parser.feed_unit(data[pos:end])
        except resp.ProtocolError:
            return commands, "error"
        pos = end
        if command is not None:
            commands.append(command)


def feed_outcome(chunks: list[bytes], limits: object = SMALL) -> tuple[list[list[bytes]], str]:
    parser = resp.RespParser(limits)
    out: list[list[bytes]] = []
    for chunk in chunks:
        try:
            out.extend(parser.feed(chunk))
        except resp.ProtocolError as e:
            out.extend(e.commands)
            return out, "error"
    return out, ending(parser, len(parser._buffer))


@given(commands_st)
def test_encoded_commands_round_trip(commands: list[list[bytes]]) -> None:
    data = b"".join(resp.encode_command(*c) for c in commands)
    assert resp.RespParser(SMALL).feed(data) == commands
    assert drive_units(data) == (commands, "complete")


@given(commands_st, st.lists(st.integers(min_value=0), max_size=40))
def test_any_split_gives_the_same_commands(commands: list[list[bytes]], cuts: list[int]) -> None:
    data = b"".join(resp.encode_command(*c) for c in commands)
    assert feed_all(resp.RespParser(SMALL), split(data, cuts)) == commands


def test_one_byte_at_a_time() -> None:
    data = resp.encode_command(b"SET", b"k\r\n", b"") + b"PING  hello\t x\r\n\r\n*0\r\n*-1\r\n"
    parser = resp.RespParser(SMALL)
    assert feed_all(parser, [data[i : i + 1] for i in range(len(data))]) == [
        [b"SET", b"k\r\n", b""],
        [b"PING", b"hello", b"x"],
    ]


hostile_st = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.sampled_from(
            [b"*", b"$", b"\r\n", b"\r", b"\n", b"-1", b"0", b"1", b"3", b"9" * 20, b"PING", b" "]
        ),
        args_st.map(lambda a: resp.encode_command(*a)),
    ),
    max_size=30,
).map(b"".join)


@given(hostile_st, st.lists(st.integers(min_value=0), max_size=20))
@example(b"*2\r\n", [2])
@example(b"*1\r\n$3\r\nab", [])
@example(b"PING\r\n*1\r\n$99\r\n", [5])
def test_hostile_bytes_give_commands_incomplete_or_protocol_error(
    data: bytes, cuts: list[int]
) -> None:
    whole = feed_outcome([data])
    # Any split: the same commands and the same ending (only ProtocolError escapes).
    assert feed_outcome(split(data, cuts)) == whole
    # The server's path (next_read + feed_unit) agrees with the chunk path.
    assert drive_units(data) == whole


@given(hostile_st)
def test_buffer_stays_bounded(data: bytes) -> None:
    parser = resp.RespParser(SMALL)
    for i in range(0, len(data), 7):
        try:
            parser.feed(data[i : i + 7])
        except resp.ProtocolError:
            return
        assert len(parser._buffer) <= SMALL.max_bulk_length + 2 + SMALL.max_inline_length


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"*1\r\nPING\r\n", "expected '$', got 'P'"),
        (b"*2\r\n$4\r\nPINGxx", "expected CRLF after bulk string data"),
        (b"*1\r\n$65\r\n", "invalid bulk length"),  # over max_bulk_length
        (b"*1\r\n$-1\r\n", "invalid bulk length"),
        (b"*1\r\n$+4\r\n", "invalid bulk length"),
        (b"*1\r\n$04\r\n", "invalid bulk length"),
        (b"*9\r\n", "invalid multibulk length"),  # over max_array_length
        (b"*x\r\n", "invalid multibulk length"),
        (b"*1_0\r\n", "invalid multibulk length"),
        (b"* 1\r\n", "invalid multibulk length"),
        (b"*1\r\n$" + b"9" * 30 + b"\r\n", "line too long"),
        (b"PING" * 40, "line too long"),  # inline over max_inline_length, no CRLF
    ],
)
def test_malformed_requests(data: bytes, message: str) -> None:
    with pytest.raises(resp.ProtocolError, match=message.replace("$", r"\$")):
        resp.RespParser(SMALL).feed(data)


def test_commands_before_an_error_are_kept() -> None:
    data = resp.encode_command(b"PING") + b"*1\r\n:1\r\n"
    with pytest.raises(resp.ProtocolError) as info:
        resp.RespParser(SMALL).feed(data)
    assert info.value.commands == [[b"PING"]]


def test_redis_py_encoding_parses() -> None:
    """Differential: commands packed by redis-py's own encoder parse to the same args."""
    connection = pytest.importorskip("redis.connection")
    packed = connection.PythonRespSerializer(
        65536, connection.Encoder("utf-8", "strict", False).encode
    ).pack("SET", "clé", b"\x00\r\n", "EX", 10)
    data = b"".join(bytes(p) for p in packed)
    assert resp.RespParser().feed(data) == [[b"SET", "clé".encode(), b"\x00\r\n", b"EX", b"10"]]


# ------------------------------------------------------------------- Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run(store: object, *args: bytes) -> bytes:
    return store.execute(list(args))  # type: ignore[attr-defined, no-any-return]


def test_store_commands() -> None:
    store = resp.Store(Clock())
    assert run(store, b"ping") == b"+PONG\r\n"
    assert run(store, b"PING", b"hi") == b"$2\r\nhi\r\n"
    assert run(store, b"ECHO", b"") == b"$0\r\n\r\n"
    assert run(store, b"GET", b"k") == b"$-1\r\n"
    assert run(store, b"SET", b"k", b"v") == b"+OK\r\n"
    assert run(store, b"GET", b"k") == b"$1\r\nv\r\n"
    assert run(store, b"SET", b"k", b"w", b"NX") == b"$-1\r\n"
    assert run(store, b"SET", b"j", b"w", b"xx") == b"$-1\r\n"
    assert run(store, b"SET", b"k", b"w", b"XX") == b"+OK\r\n"
    assert run(store, b"EXISTS", b"k", b"k", b"nope") == b":2\r\n"
    assert run(store, b"DEL", b"k", b"k", b"nope") == b":1\r\n"
    assert run(store, b"INCR", b"n") == b":1\r\n"
    assert run(store, b"INCR", b"n") == b":2\r\n"
    assert run(store, b"SET", b"n", b"-5") == b"+OK\r\n"
    assert run(store, b"INCR", b"n") == b":-4\r\n"
    assert run(store, b"incrby", b"n", b"10") == b":6\r\n"
    assert run(store, b"DECRBY", b"n", b"-4") == b":10\r\n"
    assert run(store, b"DECR", b"n") == b":9\r\n"
    assert (
        run(store, b"INCRBY", b"n", b"1.5") == b"-ERR value is not an integer or out of range\r\n"
    )


@pytest.mark.parametrize(
    ("args", "reply"),
    [
        ([b"NOPE"], b"-ERR unknown command 'NOPE'\r\n"),
        ([b"GET"], b"-ERR wrong number of arguments for 'get' command\r\n"),
        ([b"ECHO", b"a", b"b"], b"-ERR wrong number of arguments for 'echo' command\r\n"),
        ([b"PING", b"a", b"b"], b"-ERR wrong number of arguments for 'ping' command\r\n"),
        ([b"SET", b"k"], b"-ERR wrong number of arguments for 'set' command\r\n"),
        ([b"DEL"], b"-ERR wrong number of arguments for 'del' command\r\n"),
        ([b"EXISTS"], b"-ERR wrong number of arguments for 'exists' command\r\n"),
        ([b"SET", b"k", b"v", b"EX"], b"-ERR syntax error\r\n"),
        ([b"SET", b"k", b"v", b"EX", b"1", b"PX", b"1"], b"-ERR syntax error\r\n"),
        ([b"SET", b"k", b"v", b"NX", b"XX"], b"-ERR syntax error\r\n"),
        ([b"SET", b"k", b"v", b"EX", b"x"], b"-ERR value is not an integer or out of range\r\n"),
        ([b"SET", b"k", b"v", b"EX", b"+1"], b"-ERR value is not an integer or out of range\r\n"),
        ([b"SET", b"k", b"v", b"EX", b"0"], b"-ERR invalid expire time in 'set' command\r\n"),
        ([b"SET", b"k", b"v", b"PX", b"-3"], b"-ERR invalid expire time in 'set' command\r\n"),
    ],
)
def test_store_errors(args: list[bytes], reply: bytes) -> None:
    assert run(resp.Store(Clock()), *args) == reply


@pytest.mark.parametrize("value", [b"x", b"", b" 1", b"01", b"1.5", b"-0", b"9223372036854775808"])
def test_incr_needs_an_integer(value: bytes) -> None:
    store = resp.Store(Clock())
    run(store, b"SET", b"n", value)
    assert run(store, b"INCR", b"n") == b"-ERR value is not an integer or out of range\r\n"
    assert run(store, b"GET", b"n") == resp.bulk(value)


def test_incr_overflow() -> None:
    store = resp.Store(Clock())
    run(store, b"SET", b"n", b"9223372036854775807")
    assert run(store, b"INCR", b"n") == b"-ERR increment or decrement would overflow\r\n"
    run(store, b"SET", b"n", b"-9223372036854775808")
    assert run(store, b"DECR", b"n") == b"-ERR increment or decrement would overflow\r\n"
    assert run(store, b"GET", b"n") == b"$20\r\n-9223372036854775808\r\n"


def test_expiry() -> None:
    clock = Clock()
    store = resp.Store(clock)
    assert run(store, b"SET", b"a", b"1", b"EX", b"10") == b"+OK\r\n"
    assert run(store, b"SET", b"b", b"1", b"px", b"1500") == b"+OK\r\n"
    assert run(store, b"SET", b"c", b"1", b"EX", b"1") == b"+OK\r\n"
    assert run(store, b"SET", b"c", b"2") == b"+OK\r\n"  # a plain SET clears the TTL
    clock.now += 1.4
    assert run(store, b"EXISTS", b"a", b"b", b"c") == b":3\r\n"
    clock.now += 0.1
    assert run(store, b"GET", b"b") == b"$-1\r\n"
    assert run(store, b"SET", b"b", b"x", b"NX") == b"+OK\r\n"
    clock.now += 9
    assert run(store, b"GET", b"a") == b"$-1\r\n"
    assert run(store, b"INCR", b"a") == b":1\r\n"
    assert run(store, b"GET", b"c") == b"$1\r\n2\r\n"
    # Expired keys nobody touches are removed too (no unbounded growth).
    for i in range(100):
        run(store, b"SET", b"t%d" % i, b"v", b"EX", b"1")
    clock.now += 2
    run(store, b"PING")
    assert set(store.data) == {b"a", b"b", b"c"}
    assert set(store.deadlines) == set()


@given(st.lists(st.binary(max_size=12), min_size=1, max_size=6))
def test_store_never_raises(args: list[bytes]) -> None:
    store = resp.Store(Clock())
    names = [b"PING", b"ECHO", b"GET", b"SET", b"DEL", b"EXISTS", b"INCR", b"INCRBY", b"DECR"]
    for name in names:
        run(store, name, *args)
        reply = run(store, name, *args[1:])
        assert reply[:1] in (b"+", b"-", b":", b"$")
        assert reply.endswith(b"\r\n")
