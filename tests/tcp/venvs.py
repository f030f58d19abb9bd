"""Helpers for the slow tests that install single layers into a fresh venv.

Not a test module: the tests load it by path (pytest runs with
``--import-mode=importlib``, which puts no test folder on ``sys.path``).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_venv(where: Path, *folders: str) -> str:
    """Create a venv in ``where/venv`` holding only ``packages/<folder>`` for each folder.

    Installs non-editable with pip (no network needed: the squall distributions
    depend on nothing outside the repository), runs from ``where`` so that the
    checkout is not on ``sys.path``, and checks that the layers above are absent.

    Returns:
        The venv's ``python`` executable.
    """
    venv = where / "venv"
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
            *(str(ROOT / "packages" / folder) for folder in folders),
        ],
        check=True,
        timeout=300,
        cwd=where,
    )
    if "web" not in folders:
        probe = subprocess.run(
            [python, "-c", "import squall.web"],
            check=False,
            capture_output=True,
            text=True,
            cwd=where,
        )
        assert probe.returncode != 0
        assert "ModuleNotFoundError" in probe.stderr
    return python


def wait_connectable(port: int, timeout: float = 10.0) -> socket.socket:
    """Connect to 127.0.0.1:``port``, retrying while it is refused, and return the socket."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
