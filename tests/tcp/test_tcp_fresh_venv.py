"""squall-tcp installs and runs on its own: a fresh venv with squall-ioloop and squall-tcp only.

Slow (creates a venv and builds two wheels with pip); run with ``-m slow``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tcp_echo_example_in_a_fresh_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(ROOT / "packages" / "ioloop"),
            str(ROOT / "packages" / "tcp"),
        ],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    # Only the two distributions: the upper layers are absent.
    probe = subprocess.run(
        [python, "-c", "import squall.web"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert probe.returncode != 0
    assert "ModuleNotFoundError" in probe.stderr
    where = subprocess.run(
        [python, "-c", "import squall.iostream, squall.ioloop; print(squall.iostream.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert str(venv) in where.stdout  # installed, not picked up from the checkout

    port = free_port()
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
        deadline = time.monotonic() + 10
        while True:
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
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
