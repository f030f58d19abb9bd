"""Subprocess: subprocess.Popen with PipeIOStreams and an asynchronous exit callback."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import subprocess
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from squall.iostream import PipeIOStream
from squall.netutil._loop import current_loop

__all__ = ["CalledProcessError", "Subprocess"]

_gen_log = logging.getLogger("squall.general")
_app_log = logging.getLogger("squall.application")

CalledProcessError = subprocess.CalledProcessError


class Subprocess:
    """``subprocess.Popen`` with non-blocking pipes and exit notification.

    Follows Tornado's ``tornado.process.Subprocess``.

    The constructor takes ``subprocess.Popen``'s arguments; in addition
    ``stdin``, ``stdout`` and ``stderr`` may be :attr:`Subprocess.STREAM`, which
    makes the attribute of the same name a :class:`~squall.iostream.PipeIOStream`
    (the caller closes it when done)::

        proc = Subprocess(["cat"], stdin=Subprocess.STREAM, stdout=Subprocess.STREAM)
        await proc.stdin.write(b"hello")
        proc.stdin.close()
        assert await proc.stdout.read_until_close() == b"hello"
        await proc.wait_for_exit()

    How the exit is noticed: Tornado reaps children from a ``SIGCHLD`` handler,
    a process-wide setting that clashes with other users of the signal (uvloop
    reserves it). squall watches each process on its own, as asyncio's child
    watchers do: on Linux >= 5.3 with a *pidfd* (``os.pidfd_open``, readable once
    the process has exited) on the event loop; elsewhere with a daemon thread
    blocked in ``waitpid`` for that process. Nothing global is installed, so
    :meth:`initialize` and :meth:`uninitialize` are no-ops kept for porting.

    Attributes:
        STREAM: the marker for ``stdin``/``stdout``/``stderr`` described above.
        proc (subprocess.Popen): the underlying process object.
        pid (int): the process id.
        stdin, stdout, stderr: a :class:`~squall.iostream.PipeIOStream` for each
            ``STREAM`` argument, else ``proc``'s attribute (a file or None).
        returncode (int | None): None until the exit was noticed; then the exit
            status, or minus the signal number that killed the process.

    Raises:
        OSError, ValueError: as ``subprocess.Popen`` does (every pipe made for a
            ``STREAM`` argument is closed first).
    """

    STREAM: ClassVar[object] = object()

    _initialized: ClassVar[bool] = False
    _use_pidfd: ClassVar[bool] = hasattr(os, "pidfd_open")

    stdin: Any
    stdout: Any
    stderr: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = current_loop()
        ours: dict[str, int] = {}  # attribute -> our end of a new pipe
        child_ends: list[int] = []
        try:
            for name in ("stdin", "stdout", "stderr"):
                if kwargs.get(name) is Subprocess.STREAM:
                    read_end, write_end = os.pipe()
                    if name == "stdin":
                        kwargs[name], ours[name] = read_end, write_end
                        child_ends.append(read_end)
                    else:
                        kwargs[name], ours[name] = write_end, read_end
                        child_ends.append(write_end)
            self.proc = subprocess.Popen(*args, **kwargs)
        except BaseException:
            for fd in (*child_ends, *ours.values()):
                os.close(fd)
            raise
        for fd in child_ends:
            os.close(fd)
        for name in ("stdin", "stdout", "stderr"):
            if name in ours:
                setattr(self, name, PipeIOStream(ours[name]))
            else:
                setattr(self, name, getattr(self.proc, name))
        self.pid: int = self.proc.pid
        self.returncode: int | None = None
        self._exit_callback: Callable[[int], None] | None = None
        self._pidfd: int | None = None
        self._watching = False

    def set_exit_callback(self, callback: Callable[[int], None]) -> None:
        """Call ``callback(returncode)`` on the event loop once the process has exited.

        Replaces any earlier callback. If the exit was already noticed, the
        callback is scheduled at once. The process is reaped (``waitpid``) when
        it exits, and ``proc.returncode`` is set.

        Args:
            callback: receives the exit status, or minus the number of the signal
                that killed the process.
        """
        self._exit_callback = callback
        if self.returncode is not None:
            self._loop.call_soon(self._run_exit_callback)
            return
        Subprocess.initialize()
        if self._watching:
            return
        self._watching = True
        if Subprocess._use_pidfd and self._watch_pidfd():
            return
        thread = threading.Thread(
            target=self._wait_in_thread, name=f"squall-waitpid-{self.pid}", daemon=True
        )
        thread.start()

    def wait_for_exit(self, raise_error: bool = True) -> asyncio.Future[int]:
        """Return a future resolved with the return code once the process exits.

        The coroutine-friendly replacement for ``Popen.wait`` (Tornado 4.2+); it
        uses :meth:`set_exit_callback`, replacing any callback set there.

        Args:
            raise_error (bool): if True (default), a non-zero return code fails the
                future with :class:`CalledProcessError` (whose ``cmd`` is the
                process's arguments; Tornado says ``"unknown"``).

        Returns:
            A future resolving to the return code (``int``).
        """
        future: asyncio.Future[int] = self._loop.create_future()

        def on_exit(returncode: int) -> None:
            if future.done():
                return
            if returncode != 0 and raise_error:
                future.set_exception(CalledProcessError(returncode, self.proc.args))
            else:
                future.set_result(returncode)

        self.set_exit_callback(on_exit)
        return future

    @classmethod
    def initialize(cls) -> None:
        """Kept for Tornado compatibility; squall needs no global set-up (no-op).

        Tornado installs a process-wide ``SIGCHLD`` handler here, which clashes
        with other users of the signal (uvloop reserves it, for one). squall
        watches each process on its own instead (see the class description), so
        this only records that it was called. Called by :meth:`set_exit_callback`.
        """
        Subprocess._initialized = True

    @classmethod
    def uninitialize(cls) -> None:
        """Kept for Tornado compatibility (Tornado removes its ``SIGCHLD`` handler); a no-op."""
        Subprocess._initialized = False

    # -------------------------------------------------------------- internals

    def _watch_pidfd(self) -> bool:
        """Watch the process's pidfd on the loop; False if pidfds are unusable."""
        try:
            pidfd = os.pidfd_open(self.pid)
        except ProcessLookupError:
            # Already reaped by someone else (Popen.wait, say): nothing to watch.
            self._reaped_elsewhere()
            return True
        except OSError:  # ENOSYS, EPERM (seccomp): use waiter threads from now on
            Subprocess._use_pidfd = False
            return False
        self._pidfd = pidfd
        self._loop.add_reader(pidfd, self._pidfd_ready)
        return True

    def _pidfd_ready(self) -> None:
        pidfd = self._pidfd
        if pidfd is not None:
            self._pidfd = None
            self._loop.remove_reader(pidfd)
            os.close(pidfd)
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            self._reaped_elsewhere()
            return
        if pid:
            self._set_returncode(status)

    def _wait_in_thread(self) -> None:
        """Block in waitpid on a daemon thread, then report to the loop."""
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            report = self._reaped_elsewhere
        else:
            report = functools.partial(self._set_returncode, status)
        with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile
            self._loop.call_soon_threadsafe(report)

    def _reaped_elsewhere(self) -> None:
        returncode = self.proc.returncode
        if returncode is None:
            _gen_log.warning("process %d was reaped elsewhere; its exit status is lost", self.pid)
            return
        self.returncode = returncode
        self._loop.call_soon(self._run_exit_callback)

    def _set_returncode(self, status: int) -> None:
        returncode = os.waitstatus_to_exitcode(status)
        self.returncode = returncode
        self.proc.returncode = returncode  # Popen must not think it still runs
        self._run_exit_callback()

    def _run_exit_callback(self) -> None:
        callback = self._exit_callback
        returncode = self.returncode
        if callback is None or returncode is None:
            return
        self._exit_callback = None
        try:
            callback(returncode)
        except Exception:
            _app_log.exception("Exception in exit callback %r", callback)
