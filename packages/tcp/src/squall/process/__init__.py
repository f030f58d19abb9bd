"""Multi-process utilities (Tornado's ``tornado.process``).

Coming in the TCP issue: ``fork_processes``, ``task_id``, ``Subprocess`` and
``CalledProcessError``. ``cpu_count`` is here already.
"""

__all__: list[str] = []
