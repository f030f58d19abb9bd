"""A template language (Tornado's ``tornado.template``).

Coming in a later issue: ``Template``, ``Loader`` and ``DictLoader``.
"""

__all__: list[str] = []
