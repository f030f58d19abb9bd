"""In-process autoreload tests: change detection, restart argv, CLI parsing."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import types
from collections.abc import Iterator
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from squall import autoreload
from squall.autoreload import _main, _watch
from squall.autoreload import _reload as state
from squall.ioloop import PeriodicCallback


@pytest.fixture
def clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Isolate module state; replace the process restart with a recorder."""
    restarts: list[str] = []
    monkeypatch.setattr(state, "_watched_files", set())
    monkeypatch.setattr(state, "_reload_hooks", [])
    monkeypatch.setattr(state, "_reload_attempted", False)
    monkeypatch.setattr(state, "_reload", lambda: restarts.append("reload"))
    monkeypatch.setenv(_watch.FORCE_POLLING_ENV, "1")
    yield restarts


def _bump_mtime(path: Path, seconds: float = 5.0) -> None:
    stamp = time.time() + seconds
    os.utime(path, (stamp, stamp))


def test_watch_and_hooks_are_recorded(clean_state: list[str]) -> None:
    autoreload.watch("/nonexistent/file.cfg")
    assert "/nonexistent/file.cfg" in state._watched_files
    assert "/nonexistent/file.cfg" in _watch._watched_paths()
    assert os.path.abspath(_watch.__file__) in {
        os.path.abspath(p) for p in _watch._watched_paths()
    }

    def hook() -> None:
        pass

    autoreload.add_reload_hook(hook)
    assert state._reload_hooks == [hook]


def test_check_file_tracks_mtime(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("x", encoding="utf-8")
    times: dict[str, float] = {}
    assert _watch._check_file(times, str(target)) is False  # baseline
    assert _watch._check_file(times, str(target)) is False
    _bump_mtime(target)
    assert _watch._check_file(times, str(target)) is True
    assert _watch._check_file(times, str(tmp_path / "missing")) is False


def test_start_detects_change_on_running_loop(
    clean_state: list[str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "template.html"
    target.write_text("x", encoding="utf-8")
    autoreload.watch(str(target))
    checkers: list[object] = []

    class CountingPeriodicCallback(PeriodicCallback):
        def start(self) -> None:
            checkers.append(self)
            super().start()

    monkeypatch.setattr(_watch, "PeriodicCallback", CountingPeriodicCallback)

    async def scenario() -> None:
        autoreload.start(check_time=20)
        autoreload.start(check_time=20)  # same loop: no second checker
        assert len(checkers) == 1
        await asyncio.sleep(0.06)
        assert clean_state == []
        _bump_mtime(target)
        for _ in range(100):
            if clean_state:
                break
            await asyncio.sleep(0.01)

    with caplog.at_level(logging.INFO, logger="squall.general"):
        asyncio.run(scenario())
    assert clean_state[:1] == ["reload"]
    assert f"{target} modified; restarting server" in caplog.text


def test_no_restart_after_failed_attempt(clean_state: list[str], tmp_path: Path) -> None:
    target = tmp_path / "a.cfg"
    target.write_text("x", encoding="utf-8")
    autoreload.watch(str(target))
    times: dict[str, float] = {}
    _watch._reload_on_update(times)
    _bump_mtime(target)
    state._reload_attempted = True
    _watch._reload_on_update(times)
    assert clean_state == []
    state._reload_attempted = False
    _watch._reload_on_update(times)
    assert clean_state == ["reload"]


def test_forked_child_does_not_restart(
    clean_state: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_process = types.ModuleType("squall.process")
    fake_process.task_id = lambda: 2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "squall.process", fake_process)
    target = tmp_path / "a.cfg"
    target.write_text("x", encoding="utf-8")
    autoreload.watch(str(target))
    times: dict[str, float] = {}
    _watch._reload_on_update(times)
    _bump_mtime(target)
    _watch._reload_on_update(times)
    assert clean_state == []


def test_restart_argv_for_script_and_module(monkeypatch: pytest.MonkeyPatch) -> None:
    main_module = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main_module)
    monkeypatch.setattr(state, "_autoreload_is_main", False)
    monkeypatch.setattr(sys, "argv", ["/srv/app.py", "--port=1"])
    main_module.__spec__ = None
    assert state._restart_argv() == ["/srv/app.py", "--port=1"]
    main_module.__spec__ = ModuleSpec("pkg.server", None)
    assert state._restart_argv() == ["-m", "pkg.server", "--port=1"]
    main_module.__spec__ = ModuleSpec("pkg.__main__", None)
    assert state._restart_argv() == ["-m", "pkg", "--port=1"]
    # Under the wrapper, the wrapper's own command line is re-run.
    monkeypatch.setattr(state, "_autoreload_is_main", True)
    monkeypatch.setattr(state, "_original_argv", ["/x/__main__.py", "-m", "pkg.server", "-v"])
    monkeypatch.setattr(state, "_original_spec", ModuleSpec("squall.autoreload.__main__", None))
    assert state._restart_argv() == ["-m", "squall.autoreload", "-m", "pkg.server", "-v"]


def test_restart_argv_keeps_cwd_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    main_module = types.ModuleType("__main__")
    main_module.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main_module)
    monkeypatch.setattr(state, "_autoreload_is_main", False)
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    monkeypatch.setenv("PYTHONPATH", "/opt/lib")
    state._restart_argv()
    assert os.environ["PYTHONPATH"] == "." + os.pathsep + "/opt/lib"
    state._restart_argv()  # not prepended twice
    assert os.environ["PYTHONPATH"] == "." + os.pathsep + "/opt/lib"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["app.py"], (None, "app.py", False, [])),
        (["app.py", "-m", "x"], (None, "app.py", False, ["-m", "x"])),
        (["--until-success", "app.py", "--a"], (None, "app.py", True, ["--a"])),
        (["-m", "pkg.mod", "--until-success"], ("pkg.mod", None, False, ["--until-success"])),
        (["--until-success", "-mpkg", "a"], ("pkg", None, True, ["a"])),
        (["--", "-weird.py", "a"], (None, "-weird.py", False, ["a"])),
    ],
)
def test_wrapper_argument_parsing(
    args: list[str], expected: tuple[str | None, str | None, bool, list[str]]
) -> None:
    assert _main._parse_wrapper_args(args) == expected


@pytest.mark.parametrize("args", [[], ["--until-success"], ["-m"], ["--bogus", "x.py"]])
def test_wrapper_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _main._parse_wrapper_args(args)
    assert info.value.code == 2
    assert "Usage:" in capsys.readouterr().err


def test_wrapper_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _main._parse_wrapper_args(["--help"])
    assert info.value.code == 0
    assert "-m module" in capsys.readouterr().out


def test_module_origin() -> None:
    origin = _main._module_origin("squall.autoreload")
    assert origin is not None
    assert origin.endswith(os.path.join("autoreload", "__main__.py"))
    assert _main._module_origin("json.decoder") == sys.modules["json.decoder"].__file__
    assert _main._module_origin("no_such_module_here_xyz") is None
