"""``python -m squall.autoreload``: re-run a script or module whenever its sources change."""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import traceback

from squall.autoreload import _reload as state
from squall.autoreload._watch import wait
from squall.log import gen_log

USAGE = """\
Usage:
  python -m squall.autoreload [--until-success] -m module.to.run [args...]
  python -m squall.autoreload [--until-success] path/to/script.py [args...]

Runs the module or script, then waits for any of its source files (or any
file it passed to squall.autoreload.watch) to change and runs it again.
Arguments after the module name or script path are passed to it unchanged.

Options:
  -h, --help       show this help message and exit
  -m module        module to run
  --until-success  stop reloading once the program exits with status 0
"""


def _usage_error(message: str) -> None:
    sys.stderr.write(USAGE)
    sys.stderr.write(f"\nerror: {message}\n")
    sys.exit(2)


def _parse_wrapper_args(args: list[str]) -> tuple[str | None, str | None, bool, list[str]]:
    """Split the wrapper's own options from the target and its arguments.

    Returns:
        ``(module, path, until_success, rest)``: exactly one of ``module``
        and ``path`` is set; ``rest`` are the target's arguments.
    """
    until_success = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if arg == "--until-success":
            until_success = True
            index += 1
            continue
        if arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = arg[2:] or (args[index + 1] if index + 1 < len(args) else "")
            if not module:
                _usage_error("-m needs a module name")
            rest = args[index + (1 if arg[2:] else 2) :]
            return module, None, until_success, rest
        if arg == "--":
            index += 1
            break
        if arg.startswith("-"):
            _usage_error(f"no such option: {arg}")
        break
    if index >= len(args):
        _usage_error("either -m or a path must be specified")
    return None, args[index], until_success, args[index + 1 :]


def _module_origin(module: str) -> str | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations is not None:
        # A package run with -m executes its __main__ submodule.
        try:
            spec = importlib.util.find_spec(module + ".__main__")
        except (ImportError, ValueError):
            return None
    return spec.origin if spec is not None and spec.has_location else None


def main() -> None:
    """Command-line wrapper that re-runs a script whenever its source changes.

    Usage (Tornado's ``python -m tornado.autoreload``)::

        python -m squall.autoreload -m package.module [args...]
        python -m squall.autoreload path/to/script.py [args...]

    The target runs in this process (like ``python -m``/``python script.py``);
    when it finishes, by returning, ``sys.exit`` or an exception, the wrapper
    watches its sources (plus the files in an exception's traceback, so a
    syntax error can be fixed) and re-executes the whole command line when one
    changes. Unlike calling :func:`wait` at the end of the script, this also
    recovers from import-time errors. ``--until-success`` stops once the
    target exits with status 0. The target may itself call :func:`start`
    (e.g. a debug-mode web application); its restarts keep the wrapper.
    """
    original_argv = list(sys.argv)
    module, path, until_success, rest = _parse_wrapper_args(sys.argv[1:])
    state._autoreload_is_main = True
    state._original_argv = original_argv
    state._original_spec = getattr(sys.modules.get("__main__"), "__spec__", None)

    exit_status: object = 1
    try:
        if module is not None:
            sys.argv = [sys.argv[0], *rest]
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            assert path is not None
            sys.argv = [path, *rest]
            # As ``python script.py`` would: the script's directory comes first.
            script_dir = os.path.dirname(os.path.abspath(path))
            if sys.path:
                sys.path[0] = script_dir
            else:
                sys.path.insert(0, script_dir)
            runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        exit_status = 0 if exc.code is None else exc.code
        gen_log.info("Script exited with status %s", exc.code)
    except Exception as exc:
        gen_log.warning("Script exited with uncaught exception", exc_info=True)
        for frame in traceback.extract_tb(exc.__traceback__):
            state.watch(frame.filename)
        if isinstance(exc, SyntaxError) and exc.filename:
            state.watch(exc.filename)
    else:
        exit_status = 0
        gen_log.info("Script exited normally")
    sys.argv = original_argv
    # runpy ran the target as a throwaway __main__ module, so its own file is
    # not in sys.modules: watch it explicitly.
    target = _module_origin(module) if module is not None else path
    if target:
        state.watch(target)
    if until_success and exit_status == 0:
        return
    wait()
