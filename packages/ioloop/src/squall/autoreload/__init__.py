"""Automatic restart of the process when source files change (Tornado's
``tornado.autoreload``).

Coming in the ioloop/locks issue: ``start``, ``wait``, ``watch`` and
``add_reload_hook``.
"""

__all__: list[str] = []
