"""Logging support (Tornado's ``tornado.log``).

squall logs to three loggers: :data:`access_log` (``squall.access``, one line
per HTTP request), :data:`app_log` (``squall.application``, errors from
application code such as callbacks and handlers) and :data:`gen_log`
(``squall.general``, everything else). :func:`define_logging_options` adds
Tornado's ``--logging``, ``--log_file_prefix``, ... options to an
:class:`squall.options.OptionParser`; it is defined in ``squall.options`` and
re-exported here, where Tornado has it.
"""

from squall.log._formatter import (
    DEFAULT_COLORS,
    DEFAULT_DATE_FORMAT,
    DEFAULT_FORMAT,
    LogFormatter,
    enable_pretty_logging,
)
from squall.log._loggers import access_log, app_log, gen_log
from squall.options._logging import define_logging_options

__all__ = [
    "DEFAULT_COLORS",
    "DEFAULT_DATE_FORMAT",
    "DEFAULT_FORMAT",
    "LogFormatter",
    "access_log",
    "app_log",
    "define_logging_options",
    "enable_pretty_logging",
    "gen_log",
]
