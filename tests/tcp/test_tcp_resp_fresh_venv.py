"""examples/resp_server.py in a venv holding only squall-ioloop and squall-tcp.

Driven by clients nobody here wrote: ``redis-cli`` and ``redis-benchmark`` (Debian's
``redis-tools``) and redis-py; malformed RESP over a raw socket gets an error reply or
a close. Slow (builds a venv); run with ``-m slow``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "resp_server.py"


def load_venvs() -> ModuleType:
    path = Path(__file__).with_name("venvs.py")
    spec = importlib.util.spec_from_file_location("tcp_test_venvs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


venvs = load_venvs()


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    where = tmp_path_factory.mktemp("resp")
    python = venvs.make_venv(where, "ioloop", "tcp")
    port = venvs.free_port()
    process = subprocess.Popen(
        [python, "-W", "error", str(EXAMPLE), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=where,
    )
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()
        venvs.wait_connectable(port).close()
        yield Server(port, process)
        assert process.poll() is None, "the server died"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert stderr == ""  # no traceback, no warning, whatever the clients sent


def redis_cli(server: Server, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-p", str(server.port), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.strip()


needs_redis_tools = pytest.mark.skipif(
    shutil.which("redis-cli") is None or shutil.which("redis-benchmark") is None,
    reason="needs redis-cli and redis-benchmark (Debian: apt-get install redis-tools)",
)


@needs_redis_tools
def test_redis_cli(server: Server) -> None:
    assert redis_cli(server, "PING") == "PONG"
    assert redis_cli(server, "ECHO", "hello world") == "hello world"
    assert redis_cli(server, "SET", "cli:k", "v1", "EX", "100") == "OK"
    assert redis_cli(server, "GET", "cli:k") == "v1"
    assert redis_cli(server, "SET", "cli:k", "v2", "PX", "100000", "XX") == "OK"
    assert redis_cli(server, "SET", "cli:k", "v3", "NX") == ""
    assert redis_cli(server, "INCR", "cli:n") == "1"
    assert redis_cli(server, "INCR", "cli:n") == "2"
    assert redis_cli(server, "EXISTS", "cli:k", "cli:n", "cli:none") == "2"
    assert redis_cli(server, "DEL", "cli:k", "cli:n") == "2"
    assert redis_cli(server, "GET", "cli:k") == ""
    assert redis_cli(server, "INCR") == "ERR wrong number of arguments for 'incr' command"
    assert redis_cli(server, "NOSUCH") == "ERR unknown command 'NOSUCH'"
    # --pipe: redis-cli's mass-insertion mode sends everything, then counts replies.
    commands = "".join(f"SET pipe:{i} {i}\r\n" for i in range(1000))
    result = subprocess.run(
        ["redis-cli", "-p", str(server.port), "--pipe"],
        input=commands,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "errors: 0, replies: 1000" in result.stdout
    assert redis_cli(server, "GET", "pipe:999") == "999"


@needs_redis_tools
def test_redis_benchmark_pipelined(server: Server) -> None:
    result = subprocess.run(
        [
            "redis-benchmark",
            "-p",
            str(server.port),
            "-t",
            "ping,set,get,incr",
            "-P",
            "16",
            "-n",
            "20000",
            "-c",
            "20",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rates = dict(re.findall(r"(\w+): ([0-9.]+) requests per second", result.stdout))
    assert set(rates) == {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"}, result.stdout
    assert all(float(rate) > 0 for rate in rates.values())
    assert "ERR" not in result.stdout


def test_redis_py(server: Server) -> None:
    redis = pytest.importorskip("redis")
    # redis-py >= 8 speaks RESP3 unless told otherwise; the example speaks RESP2.
    client = redis.Redis(host="127.0.0.1", port=server.port, protocol=2)
    try:
        assert client.ping() is True
        assert client.set("py:k", "v", ex=100) is True
        assert client.set("py:k", "w", nx=True) is None
        assert client.get("py:k") == b"v"
        assert client.echo(b"\x00\r\n\xff") == b"\x00\r\n\xff"
        assert client.incr("py:n") == 1
        assert client.incr("py:n", 5) == 6
        assert client.exists("py:k", "py:n", "py:none") == 2
        with client.pipeline(transaction=False) as pipe:
            for i in range(200):
                pipe.set(f"py:{i}", i)
                pipe.get(f"py:{i}")
            results = pipe.execute()
        assert results[1::2] == [str(i).encode() for i in range(200)]
        assert client.delete("py:k", "py:n") == 2
        with pytest.raises(redis.ResponseError, match="not an integer"):
            client.set("py:k", "abc")
            client.incr("py:k")
    finally:
        client.close()


@pytest.mark.parametrize(
    "data",
    [
        b"*1\r\n:5\r\n",
        b"*2\r\n$3\r\nGET\r\n$99999999999\r\n",
        b"*999999999\r\n",
        b"*1\r\n$4\r\nPINGPONG\r\n",
        b"x" * 100_000,
        bytes(range(256)) * 512,  # no CRLF in 128 KiB: over the inline line limit
    ],
)
def test_malformed_resp_gets_an_error_or_a_close(server: Server, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        try:
            sock.sendall(data)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            received = b""  # closed with our bytes unread: a reset
    assert received == b"" or received.startswith(b"-ERR Protocol error")
    # And the server still serves.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(100) == b"+PONG\r\n"
