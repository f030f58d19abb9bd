"""fork_processes: children serve a shared port; the parent restarts and stops them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

SERVER = textwrap.dedent(
    """
    import asyncio, os, sys
    from squall.netutil import bind_sockets
    from squall.process import fork_processes, task_id
    from squall.tcpserver import TCPServer

    sockets = bind_sockets(0, "127.0.0.1")
    def say(*words):  # one write(2) per line: children share the pipe
        os.write(1, (" ".join(map(str, words)) + "\\n").encode())

    say("port", sockets[0].getsockname()[1])
    tid = fork_processes(int(sys.argv[1]), max_restarts=int(sys.argv[2]))
    assert tid == task_id()

    class Hello(TCPServer):
        async def handle_stream(self, stream, address):
            await stream.write(f"{tid} {os.getpid()}\\n".encode())
            stream.close()

    async def main():
        Hello().add_sockets(sockets)
        say("ready", tid, os.getpid())
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)

CRASHER = textwrap.dedent(
    """
    import os, sys, time
    from squall.process import fork_processes
    marker = sys.argv[1]
    tid = fork_processes(2, max_restarts=int(sys.argv[2]))
    os.write(1, f"started {tid} {os.getpid()}\\n".encode())  # one write(2): shared pipe
    if tid == 0:
        if sys.argv[3] == "once" and not os.path.exists(marker):
            open(marker, "w").close()
            sys.exit(3)  # crash once: restarted with the same task id
        if sys.argv[3] == "always":
            os.kill(os.getpid(), 9)
        sys.exit(0)
    if sys.argv[3] == "always":
        time.sleep(30)  # a healthy sibling: must be stopped, not orphaned
    sys.exit(0)
    """
)


def start(tmp_path: Path, source: str, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "script.py"
    script.write_text(source)
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def gone(pid: int) -> bool:
    """True once ``pid`` no longer exists (or is a zombie nobody reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def ask(port: int) -> tuple[int, int]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(100)
            assert chunk
            data += chunk
    tid, pid = data.split()
    return int(tid), int(pid)


def kill_leftovers(pids: Iterable[int]) -> None:
    """Never leave a child behind, even when the code under test is broken."""
    for pid in pids:
        if not gone(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def finish(parent: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return parent.communicate(timeout=10)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.communicate()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_children_share_a_port_and_die_with_the_parent(tmp_path: Path, sig: int) -> None:
    parent = start(tmp_path, SERVER, "3", "5")
    children: dict[int, int] = {}
    try:
        assert parent.stdout is not None
        port = int(parent.stdout.readline().split()[1])
        for _ in range(3):
            _, task, child = parent.stdout.readline().split()
            children[int(task)] = int(child)
        assert sorted(children) == [0, 1, 2]
        for _ in range(6):
            tid, pid = ask(port)
            assert children[tid] == pid
        parent.send_signal(sig)
        _, err = finish(parent)
        assert parent.returncode == 128 + sig, err
        assert all(gone(pid) for pid in children.values())
    finally:
        if parent.poll() is None:
            parent.kill()
            finish(parent)
        kill_leftovers(children.values())


def test_crashed_child_is_restarted(tmp_path: Path) -> None:
    parent = start(tmp_path, CRASHER, str(tmp_path / "marker"), "5", "once")
    out, err = finish(parent)
    assert parent.returncode == 0, err
    started = [line.split()[1] for line in out.splitlines()]
    assert sorted(started) == ["0", "0", "1"]
    assert "child 0 (pid" in err and "exited with status 3, restarting" in err


def test_too_many_restarts_stops_the_siblings(tmp_path: Path) -> None:
    parent = start(tmp_path, CRASHER, str(tmp_path / "marker"), "2", "always")
    out, err = finish(parent)
    assert parent.returncode == 1
    assert "Too many child restarts, giving up" in err
    pids = [int(line.split()[2]) for line in out.splitlines()]
    try:
        assert len(pids) == 4  # task 0 three times (two restarts), task 1 once
        assert all(gone(pid) for pid in pids)
    finally:
        kill_leftovers(pids)


def test_children_get_sigterm_when_the_parent_is_killed(tmp_path: Path) -> None:
    parent = start(tmp_path, SERVER, "2", "5")
    pids: list[int] = []
    try:
        assert parent.stdout is not None
        parent.stdout.readline()
        pids.extend(int(parent.stdout.readline().split()[2]) for _ in range(2))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(5)
        deadline = time.monotonic() + 5
        while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert all(gone(pid) for pid in pids)
    finally:
        if parent.poll() is None:
            parent.kill()
        finish(parent)
        kill_leftovers(pids)
