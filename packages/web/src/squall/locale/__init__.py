"""Translation and locale support (Tornado's ``tornado.locale``).

Coming in a later issue: ``get``, ``load_translations``, ``Locale``.
"""

__all__: list[str] = []
