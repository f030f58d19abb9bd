"""Multi-process utilities (Tornado's ``tornado.process``).

:func:`fork_processes` runs a pre-forked server (and, unlike Tornado, takes its
children down with it on ``SIGTERM``/``SIGINT``), :func:`task_id` tells a child
which one it is, and :class:`Subprocess` runs a program with its pipes as
non-blocking :class:`~squall.iostream.PipeIOStream` objects.
"""

from squall.process._cpu import cpu_count
from squall.process._fork import fork_processes, task_id
from squall.process._subprocess import CalledProcessError, Subprocess

__all__ = ["CalledProcessError", "Subprocess", "cpu_count", "fork_processes", "task_id"]
