"""A log formatter with optional terminal colours, and a one-call logging setup."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from typing import Any

DEFAULT_FORMAT = (
    "%(color)s[%(levelname)1.1s %(asctime)s %(module)s:%(lineno)d]%(end_color)s %(message)s"
)
DEFAULT_DATE_FORMAT = "%y%m%d %H:%M:%S"
DEFAULT_COLORS = {
    logging.DEBUG: 4,  # blue
    logging.INFO: 2,  # green
    logging.WARNING: 3,  # yellow
    logging.ERROR: 1,  # red
    logging.CRITICAL: 5,  # magenta
}


def _stderr_supports_color() -> bool:
    stream = sys.stderr
    try:
        return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())
    except (OSError, ValueError):
        return False


def _safe_text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return repr(value)
    try:
        return str(value)
    except Exception as e:  # pragma: no cover - pathological __str__
        return f"Bad message ({e!r}): {value.__dict__!r}"


class LogFormatter(logging.Formatter):
    """Formatter used by :func:`enable_pretty_logging` (``tornado.log.LogFormatter``).

    Lines look like ``[I 240101 12:00:00 module:12] message``; tracebacks are
    indented under the message. ANSI colours are used only when ``color`` is
    true and ``sys.stderr`` is a terminal.

    Args:
        fmt: format string; may use ``%(color)s`` and ``%(end_color)s``.
        datefmt: :func:`time.strftime` format for ``%(asctime)s``.
        style: must be ``"%"``.
        color: allow colour output (only effective on a TTY).
        colors: map of logging level to ANSI colour number (0-7).
    """

    def __init__(
        self,
        fmt: str = DEFAULT_FORMAT,
        datefmt: str = DEFAULT_DATE_FORMAT,
        style: str = "%",
        color: bool = True,
        colors: dict[int, int] | None = None,
    ) -> None:
        if style != "%":
            raise ValueError("LogFormatter only supports %-style formatting")
        super().__init__(datefmt=datefmt)
        self._line_fmt = fmt
        self._colors: dict[int, str] = {}
        self._normal = ""
        if color and _stderr_supports_color():
            for level, code in (colors if colors is not None else DEFAULT_COLORS).items():
                self._colors[level] = f"\033[2;3{code}m"
            self._normal = "\033[0m"

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record`` as one line (plus an indented traceback if any)."""
        record.message = _safe_text(record.getMessage())
        record.asctime = self.formatTime(record, self.datefmt)
        if record.levelno in self._colors:
            record.color = self._colors[record.levelno]
            record.end_color = self._normal
        else:
            record.color = record.end_color = ""
        formatted = self._line_fmt % record.__dict__
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            lines = [formatted.rstrip()]
            lines.extend(_safe_text(ln) for ln in record.exc_text.split("\n"))
            formatted = "\n".join(lines)
        return formatted.replace("\n", "\n    ")


def enable_pretty_logging(options: Any = None, logger: logging.Logger | None = None) -> None:
    """Configure ``logger`` (default: the root logger) with a :class:`LogFormatter`.

    ``options`` is any object with Tornado's logging option attributes
    (``logging``, ``log_file_prefix``, ``log_rotate_mode``, ``log_file_max_size``,
    ``log_file_num_backups``, ``log_rotate_when``, ``log_rotate_interval``,
    ``log_to_stderr``); missing attributes take Tornado's defaults (level
    ``info``, log to stderr). ``define_logging_options`` defines them on an
    :class:`squall.options.OptionParser`.

    Args:
        options: the settings object, or ``None`` for defaults.
        logger: the logger to configure.

    Raises:
        ValueError: for an unknown ``log_rotate_mode``.
    """
    level = getattr(options, "logging", "info")
    if level is None or str(level).lower() == "none":
        return
    if logger is None:
        logger = logging.getLogger()
    logger.setLevel(getattr(logging, str(level).upper()))
    prefix = getattr(options, "log_file_prefix", None)
    if prefix:
        mode = getattr(options, "log_rotate_mode", "size")
        handler: logging.Handler
        if mode == "size":
            handler = logging.handlers.RotatingFileHandler(
                filename=prefix,
                maxBytes=getattr(options, "log_file_max_size", 100 * 1000 * 1000),
                backupCount=getattr(options, "log_file_num_backups", 10),
                encoding="utf-8",
            )
        elif mode == "time":
            handler = logging.handlers.TimedRotatingFileHandler(
                filename=prefix,
                when=getattr(options, "log_rotate_when", "midnight"),
                interval=getattr(options, "log_rotate_interval", 1),
                backupCount=getattr(options, "log_file_num_backups", 10),
                encoding="utf-8",
            )
        else:
            raise ValueError(
                f"The value of log_rotate_mode option should be 'size' or 'time', not {mode!r}."
            )
        handler.setFormatter(LogFormatter(color=False))
        logger.addHandler(handler)
    to_stderr = getattr(options, "log_to_stderr", None)
    if to_stderr or (to_stderr is None and not logger.handlers):
        stream_handler = logging.StreamHandler()
        stream_handler.setFormatter(LogFormatter())
        logger.addHandler(stream_handler)
