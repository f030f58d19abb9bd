"""Command-line and config-file option parsing (Tornado's ``tornado.options``).

Coming in the ioloop/locks issue: ``define``, ``options``,
``parse_command_line``, ``parse_config_file`` and ``OptionParser``.
"""

__all__: list[str] = []
