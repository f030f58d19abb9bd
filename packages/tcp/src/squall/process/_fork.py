"""fork_processes and task_id: a pre-fork supervisor that leaves no orphans."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
from types import FrameType
from typing import Any, NoReturn

from squall.process._cpu import cpu_count

__all__ = ["fork_processes", "task_id"]

_gen_log = logging.getLogger("squall.general")

_task_id: int | None = None

# Signals the parent forwards to its children before exiting with them.
_FORWARDED = (signal.SIGTERM, signal.SIGINT)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def task_id() -> int | None:
    """Return the task id of this process, or None if it was not forked by :func:`fork_processes`.

    Returns:
        The ``int`` in ``range(num_processes)`` that :func:`fork_processes` returned
        in this child, or None (in the parent, or without ``fork_processes``).
    """
    return _task_id


def fork_processes(num_processes: int | None, max_restarts: int | None = None) -> int:
    """Fork worker processes; supervise them from the parent (Tornado's ``fork_processes``).

    Each child returns from this call with its task id (also :func:`task_id`),
    a number in ``range(num_processes)``; it typically starts an event loop
    and serves sockets bound *before* the call
    (:func:`squall.netutil.bind_sockets`), so the kernel spreads connections
    over the children. No event loop may be created or used before forking.

    The parent never returns. It waits for its children and restarts, with the
    same task id, any that exits abnormally (killed by a signal, or a non-zero
    status), at most ``max_restarts`` times in total. When every child has exited
    normally the parent exits with status 0, as in Tornado.

    Unlike Tornado, the parent leaves no orphans:

    * ``SIGTERM`` or ``SIGINT`` sent to the parent is forwarded to every child;
      the parent then restarts nothing, waits for all of them and exits with
      status ``128 + signal number`` (the shell's convention for "ended by
      that signal"). Children get the signal's previous disposition back, so
      by default they die of it; a child may install its own handler to shut
      down gracefully.
    * When the parent gives up (too many restarts) or fails, it sends
      ``SIGTERM`` to the remaining children and waits for them before raising.
    * On Linux each child asks the kernel for ``SIGTERM`` should the parent die
      without warning (``PR_SET_PDEATHSIG``, e.g. on ``SIGKILL``).

    Python's ``random`` module is reseeded in each child by Python itself (via
    ``os.register_at_fork``), which Tornado did by hand.

    Args:
        num_processes (int | None): how many children; None or <= 0 means
            :func:`cpu_count`.
        max_restarts (int | None): restarts allowed in total (default 100).

    Returns:
        In a child: its task id (``int``). The parent does not return.

    Raises:
        RuntimeError: (in the parent) more than ``max_restarts`` restarts were
            needed, after the remaining children have been stopped; or the call
            was made in a process that is itself a child of ``fork_processes``.
        OSError: ``fork()`` failed (remaining children are stopped first).
    """
    global _task_id
    if _task_id is not None:
        raise RuntimeError("fork_processes() called again in a child process")
    if max_restarts is None:
        max_restarts = 100
    if num_processes is None or num_processes <= 0:
        num_processes = cpu_count()
    _gen_log.info("Starting %d processes", num_processes)
    supervisor = _Supervisor()
    task = supervisor.run(num_processes, max_restarts)
    _task_id = task
    return task


class _Supervisor:
    """The parent's state: live children and whether a stop signal arrived."""

    def __init__(self) -> None:
        self.parent_pid = os.getpid()
        self.children: dict[int, int] = {}  # pid -> task id
        self.stop_signal: int | None = None
        self.previous: dict[int, Any] = {}
        self.prctl = _find_prctl()

    def run(self, num_processes: int, max_restarts: int) -> int:
        """Fork the children; return in each child, supervise (and exit) in the parent."""
        # Handlers go in before the first fork (with the signals blocked around each
        # fork) so a SIGTERM can never find the parent unprepared nor a child still
        # wearing the parent's handler.
        with self._signals_blocked():
            for sig in _FORWARDED:
                self.previous[sig] = signal.signal(sig, self._forward)
        try:
            for i in range(num_processes):
                child = self._start_child(i)
                if child is not None:
                    return child
            child = self._supervise(max_restarts)
            if child is not None:
                return child
        except BaseException:
            if os.getpid() == self.parent_pid:
                self._stop_children()
            raise
        self._exit()

    def _supervise(self, max_restarts: int) -> int | None:
        restarts = 0
        children = self.children
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:  # someone else reaped them
                children.clear()
                break
            task = children.pop(pid, None)
            if task is None:
                continue
            if self.stop_signal is not None:
                _gen_log.info("child %d (pid %d) exited (status %d)", task, pid, status)
                continue
            if os.WIFSIGNALED(status):
                _gen_log.warning(
                    "child %d (pid %d) killed by signal %d, restarting",
                    task,
                    pid,
                    os.WTERMSIG(status),
                )
            elif os.WEXITSTATUS(status) != 0:
                _gen_log.warning(
                    "child %d (pid %d) exited with status %d, restarting",
                    task,
                    pid,
                    os.WEXITSTATUS(status),
                )
            else:
                _gen_log.info("child %d (pid %d) exited normally", task, pid)
                continue
            restarts += 1
            if restarts > max_restarts:
                raise RuntimeError("Too many child restarts, giving up")
            child = self._start_child(task)
            if child is not None:
                return child
        return None

    def _start_child(self, task: int) -> int | None:
        """Fork one child: return its task id in the child, None in the parent."""
        if self.stop_signal is not None:
            return None
        with self._signals_blocked() as old_mask:
            pid = os.fork()
            if pid == 0:
                for sig, handler in self.previous.items():
                    signal.signal(sig, handler)
                _ask_for_parent_death_signal(self.prctl, self.parent_pid)
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
                return task
            self.children[pid] = task
        return None

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.parent_pid:  # pragma: no cover - signals blocked then
            return
        self.stop_signal = signum
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def _stop_children(self) -> None:
        """SIGTERM every live child and reap them all (the parent is giving up)."""
        self.stop_signal = self.stop_signal or signal.SIGTERM
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        while self.children:
            try:
                pid, _ = os.wait()
            except ChildProcessError:
                break
            self.children.pop(pid, None)
        self.children.clear()
        self._restore_signals()

    def _restore_signals(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous.clear()

    def _exit(self) -> NoReturn:
        self._restore_signals()
        if self.stop_signal is not None:
            sys.exit(128 + self.stop_signal)
        # Every child exited cleanly: exit rather than return to code that would
        # probably start serving in the parent too (Tornado does the same).
        sys.exit(0)

    @contextlib.contextmanager
    def _signals_blocked(self) -> Any:
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _FORWARDED)
        try:
            yield old_mask
        finally:
            if os.getpid() == self.parent_pid:
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _find_prctl() -> Any:
    """Return libc's ``prctl`` on Linux (looked up in the parent, before forking)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no usable libc
        return None


def _ask_for_parent_death_signal(prctl: Any, parent_pid: int) -> None:
    """Linux: have the kernel SIGTERM this child when the parent dies."""
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
