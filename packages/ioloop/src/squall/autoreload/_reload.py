"""Watched files, reload hooks and the re-exec that restarts the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from typing import Any

# Files watched in addition to every imported module's source.
_watched_files: set[str] = set()
_reload_hooks: list[Callable[[], None]] = []
_reload_attempted = False

# Set by ``python -m squall.autoreload``: restarts must re-run the wrapper,
# not just the script it ran.
_autoreload_is_main = False
_original_argv: list[str] | None = None
_original_spec: ModuleSpec | None = None


def watch(filename: str) -> None:
    """Add ``filename`` to the files whose modification restarts the process.

    Every imported module's source file is watched already; use this for
    templates, config files and the like (Tornado's ``autoreload.watch``).

    Args:
        filename: path of the file (``str``); it need not exist yet.
    """
    _watched_files.add(filename)


def add_reload_hook(fn: Callable[[], None]) -> None:
    """Register ``fn()`` to be called just before the process restarts.

    For open files and sockets, marking them close-on-exec (the default for
    descriptors Python opens; see :func:`os.set_inheritable`) is usually
    better than closing them from a hook.

    Args:
        fn: zero-argument callable; hooks run in registration order.
    """
    _reload_hooks.append(fn)


def _in_forked_child() -> bool:
    """Whether this is a worker made by ``squall.process.fork_processes``.

    Autoreload cannot work there (the parent would not know about the new
    process), so it is disabled, as in Tornado. ``squall.process`` lives in a
    higher layer, so it is only consulted when something else imported it.
    """
    process = sys.modules.get("squall.process")
    task_id: Any = getattr(process, "task_id", None)
    return callable(task_id) and task_id() is not None


def _module_name(spec: ModuleSpec | None) -> str | None:
    if spec is None or not spec.name or spec.name == "__main__":
        return None
    name = spec.name
    # ``python -m pkg`` runs ``pkg.__main__``; re-run it the way it was invoked.
    if name.endswith(".__main__"):
        name = name[: -len(".__main__")]
    return name


def _restart_argv() -> list[str]:
    """The arguments (after the interpreter) that re-run this program.

    ``python -m module args`` becomes ``-m module args``; a script keeps
    ``sys.argv``. Under ``python -m squall.autoreload`` the wrapper's own
    command line is used, so the wrapper keeps watching after the restart.
    Interpreter options such as ``-u`` are not preserved (Tornado's caveat).
    """
    if _autoreload_is_main and _original_argv is not None:
        spec = _original_spec
        argv = list(_original_argv)
    else:
        main_module = sys.modules.get("__main__")
        spec = getattr(main_module, "__spec__", None)
        argv = list(sys.argv)
    module = _module_name(spec)
    if module is not None:
        return ["-m", module, *argv[1:]]
    # A plain script (or ``-c``): when the interpreter put "" (the current
    # directory) first on sys.path, keep it there after the restart.
    path_prefix = "." + os.pathsep
    if sys.path and sys.path[0] == "":
        current = os.environ.get("PYTHONPATH", "")
        if not current.startswith(path_prefix):
            os.environ["PYTHONPATH"] = path_prefix + current
    return argv


def _reload() -> None:
    """Run the reload hooks, then replace this process with a fresh interpreter."""
    global _reload_attempted
    _reload_attempted = True
    for hook in _reload_hooks:
        hook()
    # A pending SIGALRM timer would survive exec and kill the new process.
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
    argv = _restart_argv()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    command = [sys.executable, *argv]
    if sys.platform == "win32":
        # Windows' execv starts a new process and returns control to the
        # parent's parent early; spawning and exiting is the honest equivalent.
        subprocess.Popen(command)
        os._exit(0)
    try:
        os.execv(sys.executable, command)
    except OSError:
        # Some platforms refuse execv in a multi-threaded process.
        subprocess.Popen(command)
        os._exit(0)
