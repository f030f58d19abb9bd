"""Tests for squall.log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from squall.log import LogFormatter, access_log, app_log, enable_pretty_logging, gen_log


def _record(msg: str, level: int = logging.INFO, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("squall.test", level, __file__, 12, msg, (), exc_info)


def test_logger_names() -> None:
    assert access_log.name == "squall.access"
    assert app_log.name == "squall.application"
    assert gen_log.name == "squall.general"


def test_formatter_plain_when_not_a_tty() -> None:
    line = LogFormatter().format(_record("hello %s"))
    assert line.startswith("[I ")
    assert "test_ioloop_log:12] hello %s" in line
    assert "\033[" not in line


def test_formatter_indents_tracebacks_and_handles_bytes() -> None:
    out = LogFormatter(color=False).format(_record("oops", logging.ERROR, exc=True))
    lines = out.split("\n")
    assert lines[0].startswith("[E ")
    assert all(ln.startswith("    ") for ln in lines[1:])
    assert "ValueError: bad" in out
    rec = _record("x")
    rec.msg = b"\xff\xfe"
    assert "\\xff" in LogFormatter().format(rec)


def test_formatter_colour_on_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeTTY:
        def isatty(self) -> bool:
            return True

        def write(self, s: str) -> int:
            return len(s)

    monkeypatch.setattr(sys, "stderr", FakeTTY())
    out = LogFormatter().format(_record("coloured", logging.WARNING))
    assert out.startswith("\033[2;33m[W")
    assert "\033[0m" in out
    assert "\033[" not in LogFormatter(color=False).format(_record("plain"))


def test_formatter_rejects_other_styles() -> None:
    with pytest.raises(ValueError):
        LogFormatter(style="{")


def test_enable_pretty_logging_file(tmp_path: Path) -> None:
    logger = logging.getLogger("squall.test.pretty")
    logger.propagate = False
    opts = SimpleNamespace(logging="debug", log_file_prefix=str(tmp_path / "log.txt"))
    try:
        enable_pretty_logging(opts, logger=logger)
        assert logger.level == logging.DEBUG
        logger.debug("to the file")
        for h in logger.handlers:
            h.flush()
        assert "to the file" in (tmp_path / "log.txt").read_text()
    finally:
        for h in list(logger.handlers):
            logger.removeHandler(h)
            h.close()
    with pytest.raises(ValueError):
        enable_pretty_logging(
            SimpleNamespace(log_file_prefix=str(tmp_path / "x"), log_rotate_mode="weird"),
            logger=logger,
        )


def test_enable_pretty_logging_none_level() -> None:
    logger = logging.getLogger("squall.test.none")
    enable_pretty_logging(SimpleNamespace(logging="none"), logger=logger)
    assert not logger.handlers


def test_enable_pretty_logging_stderr_default() -> None:
    logger = logging.getLogger("squall.test.stderr")
    try:
        enable_pretty_logging(logger=logger)
        assert logger.level == logging.INFO
        assert len(logger.handlers) == 1
        assert isinstance(logger.handlers[0].formatter, LogFormatter)
    finally:
        for h in list(logger.handlers):
            logger.removeHandler(h)
