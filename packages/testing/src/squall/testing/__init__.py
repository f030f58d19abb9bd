"""Support for testing squall applications (Tornado's ``tornado.testing``).

Coming in the HTTP client/testing issue: ``AsyncTestCase``,
``AsyncHTTPTestCase``, ``gen_test``, ``ExpectLog``, ``bind_unused_port`` and a
pytest plugin registered through the ``pytest11`` entry point.
"""

__all__: list[str] = []
