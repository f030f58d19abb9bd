"""``OptionParser``: the option registry, command-line and config-file parsing, help."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from squall.options._errors import Error
from squall.options._option import _Option

_THIS_FILE = __file__
# Files whose frames are skipped when working out which file defined an option.
_WRAPPER_FILES: set[str] = set()


def _normalize_name(name: str) -> str:
    return name.replace("_", "-")


def _caller_file() -> str:
    """The source file that called ``define``; ``""`` for the parser's own options."""
    frame = sys._getframe(2)  # 0: here, 1: OptionParser.define, 2: its caller
    while frame.f_back is not None and frame.f_code.co_filename in _WRAPPER_FILES:
        frame = frame.f_back
    file_name = frame.f_code.co_filename
    return "" if file_name == _THIS_FILE else file_name


class OptionParser:
    """A collection of options, readable and writable as attributes (``options.port``).

    Follows ``tornado.options.OptionParser``. Option names treat ``-`` and
    ``_`` alike, so ``--log-file-prefix`` sets ``options.log_file_prefix``. A
    fresh parser already defines ``help`` (``--help`` prints the help text to
    stderr and exits with status 0). Most programs use the global
    :data:`squall.options.options` instead of creating parsers.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_options", {})
        object.__setattr__(self, "_parse_callbacks", [])
        self.define(
            "help",
            type=bool,
            help="show this help information and exit",
            callback=self._help_callback,
        )

    # -- attribute-style access ------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        options: dict[str, _Option] | None = self.__dict__.get("_options")
        key = _normalize_name(name)
        if options is not None and key in options:
            return options[key].value()
        raise AttributeError(f"Unrecognized option {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        key = _normalize_name(name)
        if key in self._options:
            self._options[key].set(value)
            return
        raise AttributeError(f"Unrecognized option {name!r}")

    def __iter__(self) -> Iterator[str]:
        return (opt.name for opt in self._options.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _normalize_name(name) in self._options

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self.__setattr__(name, value)

    _options: dict[str, _Option]
    _parse_callbacks: list[Callable[[], None]]

    def items(self) -> list[tuple[str, Any]]:
        """Return ``(name, value)`` pairs for every option, names as defined.

        Returns:
            list[tuple[str, Any]]: in definition order.
        """
        return [(opt.name, opt.value()) for opt in self._options.values()]

    def groups(self) -> set[str]:
        """Return the set of group names (by default, the files that defined options)."""
        return {opt.group_name or "" for opt in self._options.values()}

    def group_dict(self, group: str | None) -> dict[str, Any]:
        """Return ``{name: value}`` for the options in ``group`` (all options when falsy).

        Handy for passing a group straight on, e.g.
        ``Application(handlers, **options.group_dict("application"))``.

        Args:
            group: a group name from :meth:`groups`, or ``None``/``""`` for all.

        Returns:
            dict[str, Any]: option names (as defined) to current values.
        """
        return {
            opt.name: opt.value()
            for opt in self._options.values()
            if not group or group == opt.group_name
        }

    def as_dict(self) -> dict[str, Any]:
        """Return ``{name: value}`` for every option."""
        return {opt.name: opt.value() for opt in self._options.values()}

    # -- definition --------------------------------------------------------------

    def define(  # noqa: PLR0917 - Tornado's positional signature
        self,
        name: str,
        default: Any = None,
        type: Any = None,
        help: str | None = None,
        metavar: str | None = None,
        multiple: bool = False,
        group: str | None = None,
        callback: Callable[[Any], None] | None = None,
    ) -> None:
        """Define a new option (Tornado's ``OptionParser.define``).

        Args:
            name: option name; ``_`` and ``-`` are interchangeable everywhere.
            default: value before any parsing (``[]`` for ``multiple`` options
                when ``None``).
            type: ``int``, ``float``, ``str``, ``bool``, ``datetime.datetime``,
                ``datetime.timedelta`` or any callable ``str -> value``. When
                ``None`` it is ``default``'s class, or ``str`` if there is no
                default or ``multiple`` is set.
            help: one-line description for :meth:`print_help`.
            metavar: placeholder shown in help (``--port=PORT``).
            multiple: the value is a list; strings are split on ``,`` and
                integer types also accept ``lo:hi`` inclusive ranges.
            group: group for :meth:`print_help` and :meth:`group_dict`; defaults
                to the path of the file calling ``define``.
            callback: called with the new value each time the option is set or
                parsed.

        Raises:
            Error: the name (after normalization) is already defined.
        """
        key = _normalize_name(name)
        if key in self._options:
            raise Error(f"Option {key!r} already defined in {self._options[key].file_name}")
        file_name = _caller_file()
        if type is None:
            type = default.__class__ if not multiple and default is not None else str
        self._options[key] = _Option(
            name,
            default=default,
            type=type,
            help=help,
            metavar=metavar,
            multiple=multiple,
            file_name=file_name,
            group_name=group or file_name,
            callback=callback,
        )

    # -- parsing -----------------------------------------------------------------

    def parse_command_line(self, args: list[str] | None = None, final: bool = True) -> list[str]:
        """Parse ``--name=value`` arguments (Tornado's ``parse_command_line``).

        ``args[0]`` is the program name and is skipped. Parsing stops at the
        first argument not starting with ``-`` or after ``--``; a ``bool``
        option given without ``=value`` is set to True.

        Args:
            args: argument list; ``sys.argv`` when ``None``.
            final: run the parse callbacks (see :meth:`add_parse_callback`)
                afterwards; pass False when more sources will be parsed.

        Returns:
            list[str]: the arguments left after the options.

        Raises:
            Error: unknown option (the help text is printed first), missing
                value, or a value that does not parse.
            SystemExit: ``--help`` was given (status 0).
        """
        if args is None:
            args = sys.argv
        remaining: list[str] = []
        for index in range(1, len(args)):
            arg = args[index]
            if not arg.startswith("-"):
                remaining = args[index:]
                break
            if arg == "--":
                remaining = args[index + 1 :]
                break
            raw_name, equals, value = arg.lstrip("-").partition("=")
            key = _normalize_name(raw_name)
            if key not in self._options:
                self.print_help()
                raise Error(f"Unrecognized command line option: {key!r}")
            option = self._options[key]
            if not equals:
                if option.type is bool:
                    value = "true"
                else:
                    raise Error(f"Option {key!r} requires a value")
            option.parse(value)
        if final:
            self.run_parse_callbacks()
        return remaining

    def parse_config_file(self, path: str, final: bool = True) -> None:
        """Set options from a Python config file (Tornado's ``parse_config_file``).

        The file is executed as Python code (so it must be trusted), with
        ``__file__`` set to its absolute path; each top-level name matching a
        defined option sets it. Strings are parsed like command-line values
        (except for plain ``str`` options); other values must already have the
        option's type, and ``multiple`` options take a list or a
        comma-separated string. Names not matching an option are ignored.

        Args:
            path: path of the config file (read as UTF-8 source).
            final: run the parse callbacks afterwards.

        Raises:
            Error: a value of the wrong type or that does not parse.
            OSError: the file cannot be read.
            SyntaxError: the file is not valid Python.
        """
        config: dict[str, Any] = {"__file__": os.path.abspath(path)}
        with open(path, "rb") as handle:
            source = handle.read()
        exec(compile(source, path, "exec"), config, config)
        for name, value in config.items():
            key = _normalize_name(name)
            if key not in self._options:
                continue
            option = self._options[key]
            if option.multiple and not isinstance(value, list | str):
                raise Error(
                    f"Option {option.name!r} is required to be a list of "
                    f"{getattr(option.type, '__name__', option.type)} "
                    "or a comma-separated string"
                )
            if isinstance(value, str) and (option.type is not str or option.multiple):
                option.parse(value)
            else:
                option.set(value)
        if final:
            self.run_parse_callbacks()

    # -- help and callbacks ------------------------------------------------------

    def print_help(self, file: TextIO | None = None) -> None:
        """Print every option, grouped and sorted, with help and defaults.

        Args:
            file: text stream to write to; ``sys.stderr`` when ``None``.
        """
        out = sys.stderr if file is None else file
        print(f"Usage: {sys.argv[0] if sys.argv else ''} [OPTIONS]", file=out)
        print("\nOptions:\n", file=out)
        by_group: dict[str, list[_Option]] = {}
        for option in self._options.values():
            by_group.setdefault(option.group_name or "", []).append(option)
        for group_name, group_options in sorted(by_group.items()):
            if group_name:
                print(f"\n{os.path.normpath(group_name)} options:\n", file=out)
            for option in sorted(group_options, key=lambda o: o.name):
                self._print_option(option, out)
        print(file=out)

    @staticmethod
    def _print_option(option: _Option, out: TextIO) -> None:
        prefix = _normalize_name(option.name)
        if option.metavar:
            prefix += "=" + option.metavar
        description = option.help or ""
        if option.default is not None and option.default != "":
            description += f" (default {option.default})"
        lines = textwrap.wrap(description, 44)
        if len(prefix) > 30 or not lines:
            lines.insert(0, "")
        print(f"  --{prefix:<30} {lines[0]}", file=out)
        for line in lines[1:]:
            print(f"{'':<34} {line}", file=out)

    def _help_callback(self, value: bool) -> None:
        if value:
            self.print_help()
            sys.exit(0)

    def add_parse_callback(self, callback: Callable[[], None]) -> None:
        """Register ``callback()`` to run after a ``final`` parse."""
        self._parse_callbacks.append(callback)

    def run_parse_callbacks(self) -> None:
        """Run every registered parse callback, in registration order."""
        for callback in self._parse_callbacks:
            callback()

    def mockable(self) -> _Mockable:
        """Return a wrapper whose attributes can be patched with ``unittest.mock``.

        ``mock.patch.object(options.mockable(), "port", 8080)`` sets the option
        for the duration and restores the previous value afterwards (the parser
        itself does not support ``delattr``, which ``mock.patch`` needs).

        Returns:
            _Mockable: a fresh wrapper around this parser.
        """
        return _Mockable(self)


class _Mockable:
    """Attribute proxy over an ``OptionParser`` that restores values on ``delattr``.

    Follows Tornado's ``_Mockable``: each attribute may be set once; deleting
    it restores the value it had before it was set.
    """

    def __init__(self, options: OptionParser) -> None:
        self.__dict__["_options"] = options
        self.__dict__["_originals"] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._options, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._originals:
            raise AssertionError(f"don't reuse mockable objects (option {name!r} already set)")
        self._originals[name] = getattr(self._options, name)
        setattr(self._options, name, value)

    def __delattr__(self, name: str) -> None:
        setattr(self._options, name, self._originals.pop(name))

    _options: OptionParser
    _originals: dict[str, Any]


def _register_wrapper_file(path: str) -> None:
    """Skip frames from ``path`` when attributing ``define`` calls to a file."""
    _WRAPPER_FILES.add(path)
