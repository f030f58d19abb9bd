"""squall-tcp installs and runs on its own: a fresh venv with squall-ioloop and squall-tcp only.

Slow (creates a venv and builds two wheels with pip); run with ``-m slow``.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def load_venvs() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "tcp_test_venvs", Path(__file__).with_name("venvs.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


venvs = load_venvs()


def test_tcp_echo_example_in_a_fresh_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # Only the two distributions: make_venv checks that the upper layers are absent.
    python = venvs.make_venv(tmp_path, "ioloop", "tcp")
    where = subprocess.run(
        [python, "-c", "import squall.iostream, squall.ioloop; print(squall.iostream.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert str(venv) in where.stdout  # installed, not picked up from the checkout

    port = venvs.free_port()
    server = subprocess.Popen(
        [python, "-W", "error", str(ROOT / "examples" / "tcp_echo.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        assert "listening on" in server.stdout.readline()
        client = venvs.wait_connectable(port)
        with client, client.makefile("rb") as lines:
            client.sendall(b"hello\n")
            assert lines.readline() == b"hello\n"
            client.sendall(b"split ")
            time.sleep(0.05)
            client.sendall(b"line\nsecond\n")
            assert lines.readline() == b"split line\n"
            assert lines.readline() == b"second\n"
            # Over the 64 KiB line limit: the server closes the connection.
            try:
                client.sendall(b"x" * (70 * 1024))
                assert lines.readline() == b""
            except (ConnectionResetError, BrokenPipeError):
                pass  # closed with our unread bytes in its buffer: a reset
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as again,
            again.makefile("rb") as lines,
        ):
            again.sendall(b"still serving\n")
            assert lines.readline() == b"still serving\n"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert server.returncode == 0, stderr
    assert stderr == ""
