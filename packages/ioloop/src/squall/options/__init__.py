"""Command-line and config-file option parsing (Tornado's ``tornado.options``).

Modules declare their options with :func:`define` at import time; the main
program then calls :func:`parse_command_line` (and/or :func:`parse_config_file`)
and reads values as attributes of the global :data:`options`::

    from squall.options import define, options, parse_command_line

    define("port", default=8888, help="port to listen on")
    define("ports", type=int, multiple=True)  # --ports=8000:8003,9000

    parse_command_line()
    print(options.port, options.ports)

Supported types are ``int``, ``float``, ``str``, ``bool``,
``datetime.datetime`` (formats such as ``2024-05-01 12:30`` or ``12:30``),
``datetime.timedelta`` (``"1h 30m"``, ``"45s"``, bare numbers are seconds) and
any callable taking the string. Option names treat ``-`` and ``_`` alike. The
global parser also defines ``--help`` and Tornado's logging options (see
:func:`define_logging_options`).
"""

from squall.options._errors import Error
from squall.options._globals import (
    add_parse_callback,
    define,
    options,
    parse_command_line,
    parse_config_file,
    print_help,
)
from squall.options._logging import define_logging_options
from squall.options._parser import OptionParser, _Mockable

__all__ = [
    "Error",
    "OptionParser",
    "_Mockable",
    "add_parse_callback",
    "define",
    "define_logging_options",
    "options",
    "parse_command_line",
    "parse_config_file",
    "print_help",
]
