"""squall.process: Subprocess with STREAM pipes, exit callbacks, wait_for_exit."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator

import pytest

from squall.iostream import PipeIOStream
from squall.process import CalledProcessError, Subprocess, task_id


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await asyncio.wait_for(coro_fn(), timeout=10)

    asyncio.run(wrapper())


@pytest.fixture(params=["pidfd", "thread"])
def watcher(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run each test with the pidfd watcher and with the waitpid-thread fallback."""
    saved = Subprocess._use_pidfd
    if request.param == "pidfd":
        if not saved:
            pytest.skip("no pidfd support")
    else:
        Subprocess._use_pidfd = False
    try:
        yield request.param
    finally:
        Subprocess.uninitialize()
        Subprocess._use_pidfd = saved


def open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def test_echo_stdout_stream(watcher: str) -> None:
    async def main() -> None:
        proc = Subprocess(["echo", "hello"], stdout=Subprocess.STREAM)
        assert isinstance(proc.stdout, PipeIOStream)
        assert proc.stdin is None and proc.stderr is None
        assert await proc.stdout.read_until_close() == b"hello\n"
        assert await proc.wait_for_exit() == 0
        assert proc.returncode == 0
        assert proc.proc.returncode == 0
        proc.stdout.close()

    run(main)


def test_cat_stdin_stdout_stderr(watcher: str) -> None:
    async def main() -> None:
        script = (
            "import sys; d = sys.stdin.read(); sys.stdout.write(d.upper()); sys.stderr.write('e')"
        )
        proc = Subprocess(
            [sys.executable, "-c", script],
            stdin=Subprocess.STREAM,
            stdout=Subprocess.STREAM,
            stderr=Subprocess.STREAM,
        )
        await proc.stdin.write(b"hello " * 10000)
        proc.stdin.close()
        out, err = await asyncio.gather(
            proc.stdout.read_until_close(), proc.stderr.read_until_close()
        )
        assert out == b"HELLO " * 10000
        assert err == b"e"
        assert await proc.wait_for_exit() == 0
        proc.stdout.close()
        proc.stderr.close()

    run(main)


def test_cat_line_by_line(watcher: str) -> None:
    async def main() -> None:
        proc = Subprocess(["cat"], stdin=Subprocess.STREAM, stdout=Subprocess.STREAM)
        for i in range(3):
            await proc.stdin.write(b"line %d\n" % i)
            assert await proc.stdout.read_until(b"\n") == b"line %d\n" % i
        proc.stdin.close()
        assert await proc.stdout.read_until_close() == b""
        await proc.wait_for_exit()
        proc.stdout.close()

    run(main)


def test_exit_callback_and_errors(watcher: str) -> None:
    async def main() -> None:
        proc = Subprocess([sys.executable, "-c", "raise SystemExit(3)"])
        codes: list[int] = []
        done = asyncio.Event()

        def on_exit(code: int) -> None:
            codes.append(code)
            done.set()

        proc.set_exit_callback(on_exit)
        await done.wait()
        assert codes == [3]
        # After the exit was noticed, a new callback still runs (soon).
        again = asyncio.get_running_loop().create_future()
        proc.set_exit_callback(again.set_result)
        assert await again == 3

        proc = Subprocess([sys.executable, "-c", "raise SystemExit(3)"])
        with pytest.raises(CalledProcessError) as info:
            await proc.wait_for_exit()
        assert info.value.returncode == 3
        assert info.value.cmd == [sys.executable, "-c", "raise SystemExit(3)"]
        proc = Subprocess([sys.executable, "-c", "raise SystemExit(4)"])
        assert await proc.wait_for_exit(raise_error=False) == 4

    run(main)


def test_killed_by_a_signal(watcher: str) -> None:
    async def main() -> None:
        proc = Subprocess(["sleep", "30"])
        waiting = proc.wait_for_exit(raise_error=False)
        await asyncio.sleep(0.05)
        assert not waiting.done()
        proc.proc.send_signal(signal.SIGTERM)
        assert await waiting == -signal.SIGTERM

    run(main)


def test_many_processes_at_once(watcher: str) -> None:
    async def main() -> None:
        procs = [Subprocess([sys.executable, "-c", f"raise SystemExit({i})"]) for i in range(5)]
        codes = await asyncio.gather(*(p.wait_for_exit(raise_error=False) for p in procs))
        assert codes == list(range(5))

    run(main)


def test_reaped_elsewhere_uses_popen_returncode(watcher: str) -> None:
    async def main() -> None:
        proc = Subprocess(["true"])
        proc.proc.wait()
        assert await proc.wait_for_exit() == 0

    run(main)


def test_popen_failure_closes_the_pipes() -> None:
    async def main() -> None:
        before = open_fds()
        with pytest.raises(FileNotFoundError):
            Subprocess(
                ["/nonexistent/program"],
                stdin=Subprocess.STREAM,
                stdout=Subprocess.STREAM,
                stderr=Subprocess.STREAM,
            )
        assert open_fds() == before

    run(main)


def test_plain_popen_arguments_pass_through() -> None:
    async def main() -> None:
        proc = Subprocess(["echo", "x"], stdout=subprocess.PIPE)
        assert proc.stdout is proc.proc.stdout
        assert proc.stdout is not None
        assert proc.stdout.read() == b"x\n"
        proc.stdout.close()
        assert await proc.wait_for_exit() == 0

    run(main)


def test_initialize_is_a_harmless_no_op(watcher: str) -> None:
    async def main() -> None:
        before = signal.getsignal(signal.SIGCHLD)
        Subprocess.initialize()
        Subprocess.initialize()
        assert signal.getsignal(signal.SIGCHLD) == before  # nothing global installed
        proc = Subprocess(["true"])
        assert await proc.wait_for_exit() == 0
        Subprocess.uninitialize()
        Subprocess.uninitialize()

    run(main)


def test_exit_noticed_across_event_loops(watcher: str) -> None:
    async def main() -> None:
        assert await Subprocess(["true"]).wait_for_exit() == 0

    run(main)
    run(main)  # a new loop: no state left over from the first one


def test_task_id_outside_fork_processes() -> None:
    assert task_id() is None
