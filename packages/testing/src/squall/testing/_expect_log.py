"""ExpectLog: assert that a log message appears, and keep it out of the output."""

from __future__ import annotations

import logging
import re
import warnings
from types import TracebackType

from squall.log import app_log


class ExpectLog(logging.Filter):
    """Context manager that swallows, and requires, log messages matching a regex.

    Tornado's ``tornado.testing.ExpectLog``: while the block runs, records on
    ``logger`` whose formatted message *starts with* a match of ``regex``
    (``re.match``) are dropped from the log and counted; every other record goes
    through. An error logged inside an ``ExpectLog`` for ``squall.application``
    therefore does not fail an :class:`AsyncTestCase`. Not thread safe.

    Example::

        with ExpectLog("squall.application", "Exception in callback"):
            ...

    Args:
        logger: a :class:`logging.Logger` or a logger name. The filter sits on
            that logger only: records logged on a child logger propagate past it.
        regex: pattern matched against the start of each message.
        required: if true (the default), leaving the block without an exception
            and without a single match raises :class:`Exception`.
        level: a logging level (e.g. ``logging.WARNING``). The logger is enabled
            down to that level for the block, and only records at exactly that
            level are swallowed; a match at another level is let through after a
            warning on ``squall.application``. Without ``level``, matching a
            record below ``WARNING`` emits a :class:`DeprecationWarning` at exit
            (Tornado 6.0 behaviour).

    Attributes:
        matched (int): how many records were swallowed.
        logged_stack (bool): true once any record with ``exc_info`` was seen.
    """

    def __init__(
        self,
        logger: logging.Logger | str,
        regex: str,
        required: bool = True,
        level: int | None = None,
    ) -> None:
        super().__init__()
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.regex = re.compile(regex)
        self.required = required
        self.level = level
        self.matched = 0
        self.logged_stack = False
        self._low_level_matches = 0
        self._orig_level: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        """Decide whether ``record`` is logged (called by :mod:`logging`).

        Args:
            record: the record being logged on :attr:`logger`.

        Returns:
            ``False`` to swallow a matching record, ``True`` to let it through.
        """
        if record.exc_info:
            self.logged_stack = True
        message = record.getMessage()
        if not self.regex.match(message):
            return True
        if self.level is not None and record.levelno != self.level:
            app_log.warning(
                "Got expected log message %r at unexpected level (%s vs %s)",
                message,
                logging.getLevelName(self.level),
                record.levelname,
            )
            return True
        if self.level is None and record.levelno < logging.WARNING:
            # Warnings raised inside logging would be swallowed: report at exit.
            self._low_level_matches += 1
        self.matched += 1
        return False

    def __enter__(self) -> ExpectLog:
        """Install the filter (and lower the logger's level if ``level`` asks).

        Returns:
            This ``ExpectLog``.
        """
        if self.level is not None and self.level < self.logger.getEffectiveLevel():
            self._orig_level = self.logger.level
            self.logger.setLevel(self.level)
        self.logger.addFilter(self)
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Remove the filter; check that a required message was logged.

        Raises:
            Exception: ``required`` and no record matched (only when the block
                itself did not raise).
        """
        if self._orig_level is not None:
            self.logger.setLevel(self._orig_level)
            self._orig_level = None
        self.logger.removeFilter(self)
        if typ is None and self.required:
            if not self.matched:
                raise Exception("did not get expected log message")
            if self._low_level_matches >= self.matched:
                warnings.warn(
                    "ExpectLog matched at INFO or below without level argument",
                    DeprecationWarning,
                    stacklevel=2,
                )
