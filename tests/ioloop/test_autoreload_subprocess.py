"""End-to-end autoreload: real child interpreters re-executed on file changes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

TIMEOUT = 10.0  # seconds; a healthy run takes about one second


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["SQUALL_AUTORELOAD_POLLING"] = "1"  # exercise stat polling even if watchfiles exists
    env.pop("PYTHONPATH", None)
    return env


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def _run_until(
    args: list[str], cwd: Path, out: Path, runs_before_touch: int, touch: Path
) -> tuple[int, str]:
    """Start ``args``; once ``out`` has ``runs_before_touch`` lines, keep bumping
    ``touch``'s mtime until the process exits. Returns (status, stderr)."""
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT
    try:
        bump = 0
        while proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; output so far: {_lines(out)}")
            if len(_lines(out)) >= runs_before_touch:
                # Keep moving the mtime so a late baseline still sees a change.
                bump += 1
                stamp = time.time() + bump
                os.utime(touch, (stamp, stamp))
            time.sleep(0.1)
        _, err = proc.communicate(timeout=TIMEOUT)
        return proc.returncode, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


RECORDING_SCRIPT = """\
import sys
with open({out!r}, "a", encoding="utf-8") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
with open({out!r}, encoding="utf-8") as f:
    runs = len(f.read().splitlines())
sys.exit(0 if runs >= 2 else 3)
"""


def test_wrapper_reruns_script_until_success(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = tmp_path / "app.py"
    script.write_text(RECORDING_SCRIPT.format(out=str(out)), encoding="utf-8")
    status, err = _run_until(
        [sys.executable, "-m", "squall.autoreload", "--until-success", str(script), "a", "-x"],
        cwd=tmp_path,
        out=out,
        runs_before_touch=1,
        touch=script,
    )
    assert status == 0, err
    # The script saw its own arguments on both runs (the wrapper's are hidden).
    assert _lines(out) == ["a -x", "a -x"]


def test_wrapper_runs_module_and_watches_its_imports(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    pkg = tmp_path / "demoapp"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    helper = pkg / "helper.py"
    helper.write_text("VALUE = 1\n", encoding="utf-8")
    (pkg / "__main__.py").write_text(
        "import demoapp.helper\n" + RECORDING_SCRIPT.format(out=str(out)), encoding="utf-8"
    )
    status, err = _run_until(
        [sys.executable, "-m", "squall.autoreload", "--until-success", "-m", "demoapp", "--v"],
        cwd=tmp_path,
        out=out,
        runs_before_touch=1,
        touch=helper,
    )
    assert status == 0, err
    assert _lines(out) == ["--v", "--v"]


def test_wrapper_recovers_from_syntax_error(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    script = tmp_path / "broken.py"
    script.write_text("def broken(:\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall.autoreload", "--until-success", str(script)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.3)
        assert proc.poll() is None  # waiting for a fix, not exited
        fixed = f"with open({str(out)!r}, 'a') as f:\n    f.write('fixed\\n')\n"
        deadline = time.monotonic() + TIMEOUT
        bump = 0
        while proc.poll() is None and time.monotonic() < deadline:
            bump += 1
            script.write_text(fixed + "#" * bump + "\n", encoding="utf-8")
            time.sleep(0.3)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "SyntaxError" in err
    assert _lines(out) == ["fixed"]


def test_start_in_script_reexecs_itself_and_runs_hooks(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    data = tmp_path / "settings.txt"
    data.write_text("x", encoding="utf-8")
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import asyncio, sys
            from squall import autoreload

            OUT = {str(out)!r}
            with open(OUT, "a", encoding="utf-8") as f:
                f.write("run " + " ".join(sys.argv[1:]) + "\\n")
            with open(OUT, encoding="utf-8") as f:
                runs = sum(1 for line in f if line.startswith("run"))
            if runs >= 2:
                sys.exit(0)

            def hook():
                with open(OUT, "a", encoding="utf-8") as f:
                    f.write("hook\\n")

            async def main():
                autoreload.watch({str(data)!r})
                autoreload.add_reload_hook(hook)
                autoreload.start(check_time=50)
                await asyncio.sleep(30)

            asyncio.run(main())
            """
        ),
        encoding="utf-8",
    )
    status, err = _run_until(
        [sys.executable, str(script), "arg1"],
        cwd=tmp_path,
        out=out,
        runs_before_touch=1,
        touch=data,
    )
    assert status == 0, err
    assert _lines(out) == ["run arg1", "hook", "run arg1"]
