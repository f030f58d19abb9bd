"""main(): a unittest runner that understands squall.options flags."""

from __future__ import annotations

import sys
import unittest
from typing import Any

from squall.log import gen_log
from squall.options import define, options, parse_command_line

_FLAGS: list[tuple[str, type, str]] = [
    ("exception_on_interrupt", bool, "raise KeyboardInterrupt on SIGINT (unittest's -c off)"),
    ("verbose", bool, "verbose output (unittest -v)"),
    ("quiet", bool, "minimal output (unittest -q)"),
    ("failfast", bool, "stop on the first failure (unittest -f)"),
    ("buffer", bool, "buffer stdout and stderr during tests (unittest -b)"),
    ("catch", bool, "Control-C waits for the current test (unittest -c)"),
    ("pattern", str, "only run tests matching this pattern (unittest -k)"),
]


def main(**kwargs: Any) -> None:
    """Run unit tests from the command line, like Tornado's ``tornado.testing.main``.

    The command line is parsed with :func:`squall.options.parse_command_line`
    (so ``--logging=debug`` and the application's own options work), plus
    ``--verbose``, ``--quiet``, ``--failfast``, ``--buffer``, ``--catch`` and
    ``--pattern``, which map to :func:`unittest.main`'s arguments. The remaining
    arguments name the tests to run (``python -m squall.testing
    myapp.tests.test_foo``); with none, the ``all()`` function of ``__main__``
    must return the suite (Tornado's convention). Logs ``PASS`` or ``FAIL`` on
    ``squall.general`` at the end.

    Args:
        **kwargs: passed to :func:`unittest.main` (e.g. ``testRunner``).

    Raises:
        SystemExit: always, with unittest's exit status (0 when every test passed).
    """
    for name, type_, help_text in _FLAGS:
        if name not in options:
            define(name, type=type_, help=help_text)
    argv = [sys.argv[0], *parse_command_line(sys.argv)]
    if options.verbose:
        kwargs["verbosity"] = 2
    if options.quiet:
        kwargs["verbosity"] = 0
    for name in ("failfast", "buffer", "catch"):
        if options[name]:
            kwargs["catchbreak" if name == "catch" else name] = True
    if options.pattern:
        argv.extend(["-k", options.pattern])
    try:
        if len(argv) > 1:
            unittest.main(module=None, argv=argv, **kwargs)
        else:
            unittest.main(defaultTest="all", argv=argv, **kwargs)
    except SystemExit as exc:
        if exc.code == 0 or exc.code is None:
            gen_log.info("PASS")
        else:
            gen_log.error("FAIL")
        raise
