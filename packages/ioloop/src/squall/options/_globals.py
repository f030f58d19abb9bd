"""The global ``options`` parser and module-level shortcuts that act on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from squall.options._logging import define_logging_options
from squall.options._parser import OptionParser, _register_wrapper_file

_register_wrapper_file(__file__)

options = OptionParser()
"""The global option registry; ``define`` and the ``parse_*`` functions act on it."""


def define(  # noqa: PLR0917 - Tornado's positional signature
    name: str,
    default: Any = None,
    type: Any = None,
    help: str | None = None,
    metavar: str | None = None,
    multiple: bool = False,
    group: str | None = None,
    callback: Callable[[Any], None] | None = None,
) -> None:
    """Define an option on the global :data:`options` (see :meth:`OptionParser.define`)."""
    options.define(
        name,
        default=default,
        type=type,
        help=help,
        metavar=metavar,
        multiple=multiple,
        group=group,
        callback=callback,
    )


def parse_command_line(args: list[str] | None = None, final: bool = True) -> list[str]:
    """Parse the command line into the global :data:`options`.

    See :meth:`OptionParser.parse_command_line`.
    """
    return options.parse_command_line(args, final=final)


def parse_config_file(path: str, final: bool = True) -> None:
    """Parse a Python config file into the global :data:`options`.

    See :meth:`OptionParser.parse_config_file`.
    """
    options.parse_config_file(path, final=final)


def print_help(file: TextIO | None = None) -> None:
    """Print the global :data:`options`' help (to stderr by default)."""
    options.print_help(file)


def add_parse_callback(callback: Callable[[], None]) -> None:
    """Run ``callback()`` after the global :data:`options` finish a ``final`` parse."""
    options.add_parse_callback(callback)


# Like Tornado, the global parser knows the logging options out of the box.
define_logging_options(options)
