"""Restart the process when its source files change (Tornado's ``tornado.autoreload``).

Most applications turn this on with ``Application(..., autoreload=True)`` (or
``debug=True``) rather than calling it directly. Restarting is destructive:
requests in progress are aborted. It re-executes ``sys.executable`` with
``sys.argv``, so interpreter options (e.g. ``-u``) are lost and changing those
variables breaks reloading; it does not work in ``fork_processes`` workers.

Changes are found by polling file modification times, or through the
``watchfiles`` package when it is installed (``pip install squall-ioloop[reload]``;
set ``SQUALL_AUTORELOAD_POLLING=1`` to force polling).

As a command-line wrapper it re-runs a script or module whenever its sources
change, and survives import-time errors::

    python -m squall.autoreload -m package.module [args...]
    python -m squall.autoreload path/to/script.py [args...]
"""

from squall.autoreload._main import main
from squall.autoreload._reload import add_reload_hook, watch
from squall.autoreload._watch import start, wait

__all__ = ["add_reload_hook", "main", "start", "wait", "watch"]
