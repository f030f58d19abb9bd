"""``define_logging_options``: Tornado's logging command-line options.

Tornado keeps this function in ``tornado.log``; here it lives with the option
parser (``squall.log`` may re-export it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.options._parser import OptionParser


def define_logging_options(options: OptionParser | None = None) -> None:
    """Define the logging options on ``options`` and configure logging after parsing.

    Defines ``logging`` (level name, or ``none`` to leave logging alone),
    ``log_to_stderr``, ``log_file_prefix``, ``log_file_max_size`` (bytes),
    ``log_file_num_backups``, ``log_rotate_when``, ``log_rotate_interval`` and
    ``log_rotate_mode`` (``size`` or ``time``), and registers a parse callback
    that configures the root logger from them (with
    ``squall.log.enable_pretty_logging``), as
    ``tornado.log.define_logging_options`` does. The global
    :data:`squall.options.options` already has them.

    Args:
        options: the parser to extend; the global one when ``None``.

    Raises:
        Error: one of the options is already defined on ``options``.
    """
    if options is None:
        from squall.options._globals import options as global_options  # noqa: PLC0415

        options = global_options
    options.define(
        "logging",
        default="info",
        help="Python log level (debug|info|warning|error); 'none' leaves logging untouched",
        metavar="debug|info|warning|error|none",
    )
    options.define(
        "log_to_stderr",
        type=bool,
        default=None,
        help="log to stderr; by default only when no log file and no other handler is set up",
    )
    options.define(
        "log_file_prefix",
        type=str,
        default=None,
        metavar="PATH",
        help="path of the log file (give each process its own, e.g. with the port in it)",
    )
    options.define(
        "log_file_max_size",
        type=int,
        default=100 * 1000 * 1000,
        help="size in bytes at which a log file is rotated (size mode)",
    )
    options.define(
        "log_file_num_backups", type=int, default=10, help="number of rotated log files to keep"
    )
    options.define(
        "log_rotate_when",
        type=str,
        default="midnight",
        help="TimedRotatingFileHandler 'when' for time mode: S, M, H, D, W0-W6 or midnight",
    )
    options.define(
        "log_rotate_interval",
        type=int,
        default=1,
        help="number of 'when' units between rotations (time mode)",
    )
    options.define(
        "log_rotate_mode", type=str, default="size", help="rotate log files by 'size' or 'time'"
    )
    parser = options
    options.add_parse_callback(lambda: _apply_logging_options(parser))


def _apply_logging_options(options: OptionParser) -> None:
    # Imported here: squall.log may re-export define_logging_options from this
    # package, so a top-level import could be circular.
    from squall.log import enable_pretty_logging  # noqa: PLC0415

    enable_pretty_logging(options)
