"""The plugin tests drive inner pytest runs with the ``pytester`` fixture."""

pytest_plugins = ["pytester"]
