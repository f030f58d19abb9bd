"""Multi-process utilities (Tornado's ``tornado.process``).

Coming in a later TCP issue: ``fork_processes``, ``task_id``, ``Subprocess`` and
``CalledProcessError``. ``cpu_count`` is here already.
"""

from squall.process._cpu import cpu_count

__all__ = ["cpu_count"]
