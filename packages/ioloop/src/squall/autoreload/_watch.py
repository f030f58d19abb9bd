"""``start`` and ``wait``: detect changed source files and trigger a restart."""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
import types
import weakref
from typing import Any

from squall.autoreload import _reload as state
from squall.ioloop import IOLoop, PeriodicCallback
from squall.log import gen_log

_io_loops: weakref.WeakKeyDictionary[IOLoop, bool] = weakref.WeakKeyDictionary()

# Name of an environment variable that forces stat polling even when
# watchfiles is installed (useful on network filesystems).
FORCE_POLLING_ENV = "SQUALL_AUTORELOAD_POLLING"


def _watched_paths() -> set[str]:
    """Every imported module's source file plus the explicitly watched files."""
    paths: set[str] = set()
    modules: list[object] = list(sys.modules.values())
    for module in modules:
        if not isinstance(module, types.ModuleType):
            continue
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path:
            continue
        if path.endswith((".pyc", ".pyo")):
            path = path[:-1]
        paths.add(path)
    paths.update(state._watched_files)
    return paths


def _check_file(modify_times: dict[str, float], path: str) -> bool:
    """Record ``path``'s mtime; True when it differs from the one recorded before."""
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return False
    previous = modify_times.setdefault(path, modified)
    return previous != modified


def _trigger(path: str) -> None:
    gen_log.info("%s modified; restarting server", path)
    state._reload()


def _reload_on_update(modify_times: dict[str, float]) -> None:
    """One polling pass: restart if any watched file's mtime changed."""
    if state._reload_attempted or state._in_forked_child():
        # Already tried (and failed) to restart, or a fork_processes worker.
        return
    for path in sorted(_watched_paths()):
        if _check_file(modify_times, path):
            _trigger(path)
            return


class _NotifyWatcher:
    """Watches the directories of the watched files with ``watchfiles``.

    A daemon thread blocks in ``watchfiles.watch`` and records changed paths;
    the IOLoop-side tick publishes the current set of watched files (which
    grows as modules are imported) and restarts when a watched path changed.
    """

    def __init__(self, watchfiles: Any, check_time_ms: float) -> None:
        self._watchfiles = watchfiles
        self._timeout_ms = max(int(check_time_ms), 50)
        self._lock = threading.Lock()
        self._files: frozenset[str] = frozenset()
        self._changed: list[str] = []
        self._failed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="squall-autoreload", daemon=True)

    def start(self) -> None:
        self.publish()
        self._thread.start()

    def publish(self) -> None:
        files = frozenset(os.path.abspath(p) for p in _watched_paths())
        with self._lock:
            self._files = files

    def failed(self) -> bool:
        return self._failed

    def take_changed(self) -> str | None:
        with self._lock:
            changed, self._changed = self._changed, []
        return changed[0] if changed else None

    def _directories(self) -> frozenset[str]:
        with self._lock:
            files = self._files
        return frozenset(d for d in {os.path.dirname(f) for f in files} if os.path.isdir(d))

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                dirs = self._directories()
                if not dirs:
                    self._stop.wait(self._timeout_ms / 1000)
                    continue
                for changes in self._watchfiles.watch(
                    *sorted(dirs),
                    watch_filter=None,
                    stop_event=self._stop,
                    rust_timeout=self._timeout_ms,
                    yield_on_timeout=True,
                    recursive=False,
                    raise_interrupt=False,
                ):
                    with self._lock:
                        files = self._files
                        for _change, path in changes:
                            if os.path.abspath(path) in files:
                                self._changed.append(path)
                    if self._directories() != dirs:
                        break  # new modules imported: watch their directories too
        except Exception:
            gen_log.warning("watchfiles failed; autoreload falls back to polling", exc_info=True)
            self._failed = True


def _notify_backend(check_time: float) -> _NotifyWatcher | None:
    if os.environ.get(FORCE_POLLING_ENV):
        return None
    try:
        watchfiles = importlib.import_module("watchfiles")
    except ImportError:
        return None
    return _NotifyWatcher(watchfiles, check_time)


def _notify_tick(watcher: _NotifyWatcher, modify_times: dict[str, float]) -> None:
    if watcher.failed():
        _reload_on_update(modify_times)
        return
    if state._reload_attempted or state._in_forked_child():
        return
    watcher.publish()
    changed = watcher.take_changed()
    if changed is not None:
        _trigger(changed)


def start(check_time: int = 500) -> None:
    """Begin watching source files on the current IOLoop; restart when one changes.

    Follows ``tornado.autoreload.start``: every ``check_time`` milliseconds
    the source of every module in ``sys.modules`` and every file passed to
    :func:`watch` is checked (by mtime, or through ``watchfiles`` when that
    optional dependency is installed, see the ``reload`` extra); on a change
    the reload hooks run and the process re-executes itself with
    :func:`os.execv` (same ``sys.executable`` and ``sys.argv``; interpreter
    options such as ``-u`` are lost). Calling it again on the same IOLoop does
    nothing. Restarting aborts requests in progress, and it does not work in
    ``fork_processes`` workers.

    Args:
        check_time: polling period in milliseconds (``int``).
    """
    io_loop = IOLoop.current()
    if io_loop in _io_loops:
        return
    _io_loops[io_loop] = True
    if len(_io_loops) > 1:
        gen_log.warning("squall.autoreload started more than once in the same process")
    modify_times: dict[str, float] = {}
    # Take the baseline now, so changes made before the first tick are seen.
    for path in _watched_paths():
        _check_file(modify_times, path)
    watcher = _notify_backend(check_time)
    if watcher is not None:
        watcher.start()
        callback = functools.partial(_notify_tick, watcher, modify_times)
    else:
        callback = functools.partial(_reload_on_update, modify_times)
    PeriodicCallback(callback, check_time).start()


def wait() -> None:
    """Block until a watched file changes, then restart the process.

    For the end of scripts such as test runners (``tornado.autoreload.wait``):
    runs a new IOLoop with :func:`start` and never returns normally.
    """
    io_loop = IOLoop()
    io_loop.add_callback(start)
    io_loop.start()
