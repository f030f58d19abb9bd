from __future__ import annotations

import datetime
import io
import logging
import os
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import squall.options
from squall.options import Error, OptionParser, define_logging_options, options


def _help_text(parser: OptionParser) -> str:
    out = io.StringIO()
    parser.print_help(out)
    return out.getvalue()


def test_defaults_and_type_inference() -> None:
    p = OptionParser()
    p.define("port", default=8888)
    p.define("name")
    p.define("ratio", default=0.5)
    p.define("ids", default=[1, 2], multiple=True)
    p.define("tags", multiple=True)
    assert p.port == 8888
    assert p.name is None
    assert p.ratio == 0.5
    assert p.ids == [1, 2]
    assert p.tags == []
    assert p._options["port"].type is int
    assert p._options["name"].type is str
    assert p._options["ratio"].type is float
    # Tornado: multiple options without an explicit type are strings.
    assert p._options["ids"].type is str


def test_parse_command_line_every_type() -> None:
    p = OptionParser()
    p.define("i", type=int)
    p.define("f", type=float)
    p.define("s", type=str)
    p.define("b", type=bool)
    p.define("dt", type=datetime.datetime)
    p.define("td", type=datetime.timedelta)
    p.define("custom", type=lambda text: text[::-1])
    rest = p.parse_command_line(
        [
            "prog",
            "--i=-42",
            "--f=2.5e3",
            "--s=héllo=world",
            "--b",
            "--dt=2024-05-01 12:30:15",
            "--td=1h 30m",
            "--custom=abc",
            "positional",
            "--i=7",
        ]
    )
    assert rest == ["positional", "--i=7"]
    assert p.i == -42
    assert p.f == 2500.0
    assert p.s == "héllo=world"
    assert p.b is True
    assert p.dt == datetime.datetime(2024, 5, 1, 12, 30, 15)
    assert p.td == datetime.timedelta(hours=1, minutes=30)
    assert p.custom == "cba"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("false", False),
        ("FALSE", False),
        ("f", False),
        ("0", False),
        ("true", True),
        ("1", True),
        ("yes", True),
        ("no", True),  # only false/f/0 are false, as in Tornado
    ],
)
def test_bool_values(text: str, expected: bool) -> None:
    p = OptionParser()
    p.define("flag", type=bool, default=not expected)
    p.parse_command_line(["prog", f"--flag={text}"])
    assert p.flag is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed May 01 12:30:15 2024", datetime.datetime(2024, 5, 1, 12, 30, 15)),
        ("2024-05-01 12:30", datetime.datetime(2024, 5, 1, 12, 30)),
        ("2024-05-01T12:30", datetime.datetime(2024, 5, 1, 12, 30)),
        ("20240501 12:30:15", datetime.datetime(2024, 5, 1, 12, 30, 15)),
        ("20240501 12:30", datetime.datetime(2024, 5, 1, 12, 30)),
        ("2024-05-01", datetime.datetime(2024, 5, 1)),
        ("20240501", datetime.datetime(2024, 5, 1)),
        ("12:30:15", datetime.datetime(1900, 1, 1, 12, 30, 15)),
        ("12:30", datetime.datetime(1900, 1, 1, 12, 30)),
    ],
)
def test_datetime_formats(text: str, expected: datetime.datetime) -> None:
    p = OptionParser()
    p.define("when", type=datetime.datetime)
    p.parse_command_line(["prog", f"--when={text}"])
    assert p.when == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "12h", "x" * 10_000])
def test_datetime_rejects(text: str) -> None:
    p = OptionParser()
    p.define("when", type=datetime.datetime)
    with pytest.raises(Error, match="Unrecognized date/time format"):
        p.parse_command_line(["prog", f"--when={text}"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45", datetime.timedelta(seconds=45)),
        ("1.5", datetime.timedelta(seconds=1.5)),
        ("1h 30m", datetime.timedelta(hours=1, minutes=30)),
        ("1h30m", datetime.timedelta(hours=1, minutes=30)),
        ("2 days 3 hours", datetime.timedelta(days=2, hours=3)),
        ("1w 1d", datetime.timedelta(days=8)),
        ("10min 5sec", datetime.timedelta(minutes=10, seconds=5)),
        ("250ms", datetime.timedelta(milliseconds=250)),
        ("7us", datetime.timedelta(microseconds=7)),
        ("-1d", datetime.timedelta(days=-1)),
        ("1e3ms", datetime.timedelta(seconds=1)),
        ("5 m 2", datetime.timedelta(minutes=5, seconds=2)),
        ("", datetime.timedelta()),
    ],
)
def test_timedelta_syntax(text: str, expected: datetime.timedelta) -> None:
    p = OptionParser()
    p.define("delay", type=datetime.timedelta)
    p.parse_command_line(["prog", f"--delay={text}"])
    assert p.delay == expected


@pytest.mark.parametrize("text", ["   ", "1hr", "1 H", "h", "1e400", "1h,", "1 2 3 x", "--1"])
def test_timedelta_rejects_with_typed_error(text: str) -> None:
    p = OptionParser()
    p.define("delay", type=datetime.timedelta)
    with pytest.raises(Error):
        p.parse_command_line(["prog", f"--delay={text}"])


def test_bad_number_is_error_and_value_error() -> None:
    p = OptionParser()
    p.define("port", type=int)
    with pytest.raises(Error, match="port") as info:
        p.parse_command_line(["prog", "--port=eighty"])
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError):
        p.parse_command_line(["prog", "--port=1.5"])


def test_multiple_lists_and_ranges() -> None:
    p = OptionParser()
    p.define("ports", type=int, multiple=True)
    p.define("names", type=str, multiple=True)
    p.define("ratios", type=float, multiple=True)
    p.parse_command_line(["prog", "--ports=80,8000:8003,9000", "--names=a,,b", "--ratios=1,2.5"])
    assert p.ports == [80, 8000, 8001, 8002, 8003, 9000]
    assert p.names == ["a", "", "b"]
    assert p.ratios == [1.0, 2.5]
    p.parse_command_line(["prog", "--ports=5:3"])
    assert p.ports == []  # an empty range, as in Tornado
    with pytest.raises(Error):
        p.parse_command_line(["prog", "--ports=1:x"])
    with pytest.raises(Error, match="too large"):
        p.parse_command_line(["prog", "--ports=0:999999999999"])


def test_dashes_and_underscores_are_interchangeable() -> None:
    p = OptionParser()
    p.define("log_level", default="info")
    p.define("max-size", default=1)
    p.parse_command_line(["prog", "--log-level=debug", "--max_size=5"])
    assert p.log_level == "debug"
    assert p["log-level"] == "debug"
    assert p.max_size == 5
    assert getattr(p, "max-size") == 5
    assert "log-level" in p
    assert "log_level" in p
    assert "nope" not in p
    p["max_size"] = 6
    assert p.max_size == 6
    with pytest.raises(Error, match="already defined"):
        p.define("log-level")


def test_command_line_stops_at_double_dash_and_positional() -> None:
    p = OptionParser()
    p.define("v", type=bool)
    assert p.parse_command_line(["prog", "-v", "--", "--v=0"]) == ["--v=0"]
    assert p.v is True
    assert p.parse_command_line(["prog"]) == []
    assert p.parse_command_line(["prog", "file", "-v"]) == ["file", "-v"]


def test_command_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    p = OptionParser()
    p.define("port", type=int, help="the port")
    with pytest.raises(Error, match="Unrecognized command line option: 'bogus'"):
        p.parse_command_line(["prog", "--bogus=1"])
    # The help text goes to stderr before the error.
    assert "--port" in capsys.readouterr().err
    with pytest.raises(Error, match="requires a value"):
        p.parse_command_line(["prog", "--port"])
    with pytest.raises(AttributeError, match="Unrecognized option"):
        _ = p.bogus
    with pytest.raises(AttributeError, match="Unrecognized option"):
        p.bogus = 1


def test_set_type_checks() -> None:
    p = OptionParser()
    p.define("port", type=int)
    p.define("ports", type=int, multiple=True)
    p.define("anything", type=lambda s: s)  # a custom callable: no isinstance check
    p.port = 5
    p.port = None
    with pytest.raises(Error, match="required to be a int"):
        p.port = "5"
    p.ports = [1, 2]
    with pytest.raises(Error, match="list of int"):
        p.ports = 5
    with pytest.raises(Error, match="list of int"):
        p.ports = ["1"]
    p.anything = object()


def test_help_exits(capsys: pytest.CaptureFixture[str]) -> None:
    p = OptionParser()
    p.define("port", default=80, help="port to listen on", metavar="PORT")
    with pytest.raises(SystemExit) as info:
        p.parse_command_line(["prog", "--help"])
    assert info.value.code == 0
    err = capsys.readouterr().err
    assert "Usage:" in err
    assert "--port=PORT" in err
    assert "port to listen on (default 80)" in err


def test_print_help_groups_and_wrapping() -> None:
    p = OptionParser()
    p.define("zeta", default=1, group="server")
    p.define("alpha", default="", group="server", help="word " * 30)
    p.define("a_very_long_option_name_indeed_yes", type=int, metavar="N")
    p.define("mine", type=int)
    text = _help_text(p)
    assert "\nserver options:\n" in text
    assert f"\n{os.path.normpath(__file__)} options:\n" in text
    server = text.index("server options")
    assert text.index("--alpha", server) < text.index("--zeta", server)
    assert "(default" not in text.split("--alpha")[1].split("--zeta")[0]  # "" default hidden
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines if "--a-very" not in line)
    long_line = next(line for line in lines if "--a-very-long" in line)
    assert long_line.strip() == "--a-very-long-option-name-indeed-yes=N"
    # The parser's own "help" option has no group heading.
    assert text.index("--help") < text.index("options:\n\n", text.index("Options:") + 9)


def test_groups_items_and_dicts() -> None:
    p = OptionParser()
    p.define("a_b", default=1, group="g1")
    p.define("c", default="x", group="g2")
    p.define("d", default=2.0)
    assert p.groups() == {"", "g1", "g2", __file__}
    assert p.group_dict("g1") == {"a_b": 1}
    assert p.group_dict("g2") == {"c": "x"}
    assert p.group_dict(__file__) == {"d": 2.0}
    assert p.as_dict() == {"help": None, "a_b": 1, "c": "x", "d": 2.0}
    assert p.group_dict(None) == p.as_dict()
    assert p.items() == [("help", None), ("a_b", 1), ("c", "x"), ("d", 2.0)]
    assert list(p) == ["help", "a_b", "c", "d"]


def test_option_callbacks_and_parse_callbacks() -> None:
    p = OptionParser()
    seen: list[Any] = []
    p.define("n", type=int, callback=seen.append)
    p.define("m", type=int, multiple=True, callback=seen.append)
    finals: list[str] = []
    p.add_parse_callback(lambda: finals.append("one"))
    p.add_parse_callback(lambda: finals.append("two"))
    p.parse_command_line(["prog", "--n=3", "--m=1:2"], final=False)
    assert seen == [3, [1, 2]]
    assert finals == []
    p.n = 4
    assert seen[-1] == 4
    p.parse_command_line(["prog"])
    assert finals == ["one", "two"]
    p.run_parse_callbacks()
    assert finals == ["one", "two", "one", "two"]


def test_config_file(tmp_path: Path) -> None:
    p = OptionParser()
    p.define("port", type=int, default=1)
    p.define("name", type=str)
    p.define("ports", type=int, multiple=True)
    p.define("names", type=str, multiple=True)
    p.define("delay", type=datetime.timedelta)
    p.define("when", type=datetime.datetime)
    p.define("debug", type=bool)
    p.define("here", type=str)
    finals: list[int] = []
    p.add_parse_callback(lambda: finals.append(1))
    config = tmp_path / "app.conf"
    config.write_text(
        "import os\n"
        "port = 8000\n"
        "name = '1,2'\n"
        "ports = '80,90:91'\n"
        "names = ['x', 'y']\n"
        "delay = '2m'\n"
        "when = __import__('datetime').datetime(2020, 1, 2)\n"
        "debug = 'false'\n"
        "here = os.path.basename(__file__)\n"
        "unrelated = object()\n",
        encoding="utf-8",
    )
    p.parse_config_file(str(config))
    assert p.port == 8000
    assert p.name == "1,2"  # plain str options are not parsed
    assert p.ports == [80, 90, 91]
    assert p.names == ["x", "y"]
    assert p.delay == datetime.timedelta(minutes=2)
    assert p.when == datetime.datetime(2020, 1, 2)
    assert p.debug is False
    assert p.here == "app.conf"
    assert finals == [1]
    p.parse_config_file(str(config), final=False)
    assert finals == [1]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("port = '80'\n", None),  # strings are parsed: fine
        ("port = 'x'\n", "cannot parse"),
        ("port = 1.5\n", "required to be a int"),
        ("ports = 5\n", "list of int or a comma-separated string"),
        ("ports = [1, 'a']\n", "list of int"),
    ],
)
def test_config_file_errors(tmp_path: Path, body: str, message: str | None) -> None:
    p = OptionParser()
    p.define("port", type=int)
    p.define("ports", type=int, multiple=True)
    config = tmp_path / "bad.conf"
    config.write_text(body, encoding="utf-8")
    if message is None:
        p.parse_config_file(str(config))
        assert p.port == 80
    else:
        with pytest.raises(Error, match=message):
            p.parse_config_file(str(config))


def test_config_file_missing_and_syntax_error(tmp_path: Path) -> None:
    p = OptionParser()
    with pytest.raises(OSError):
        p.parse_config_file(str(tmp_path / "missing.conf"))
    broken = tmp_path / "broken.conf"
    broken.write_text("port = = 1\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        p.parse_config_file(str(broken))


def test_mockable_with_unittest_mock() -> None:
    p = OptionParser()
    p.define("port", default=80)
    with mock.patch.object(p.mockable(), "port", 8080):
        assert p.port == 8080
    assert p.port == 80
    mockable = p.mockable()
    mockable.port = 1
    assert p.port == 1
    assert mockable.port == 1
    with pytest.raises(AssertionError, match="don't reuse"):
        mockable.port = 2
    del mockable.port
    assert p.port == 80


def test_global_options_and_module_functions(tmp_path: Path) -> None:
    assert isinstance(options, OptionParser)
    for name in (
        "help",
        "logging",
        "log_to_stderr",
        "log_file_prefix",
        "log_file_max_size",
        "log_file_num_backups",
        "log_rotate_when",
        "log_rotate_interval",
        "log_rotate_mode",
    ):
        assert name in options
    assert options.logging == "info"
    assert options.log_file_max_size == 100 * 1000 * 1000
    out = io.StringIO()
    squall.options.print_help(out)
    assert "--log-file-prefix=PATH" in out.getvalue()
    # define() through the module-level function attributes the option to this file.
    name = "test_options_parser_probe"
    if name not in options:
        squall.options.define(name, default=3, help="probe")
    assert options._options[name.replace("_", "-")].group_name == __file__
    with mock.patch.object(options.mockable(), name, 4):
        assert getattr(options, name) == 4
        assert squall.options.parse_command_line(["prog", "rest"], final=False) == ["rest"]
        assert getattr(options, name) == 4
    assert getattr(options, name) == 3
    config = tmp_path / "global.conf"
    config.write_text(f"{name} = 5\n", encoding="utf-8")
    with mock.patch.object(options.mockable(), name, 3):
        squall.options.parse_config_file(str(config), final=False)
        assert getattr(options, name) == 5
    assert getattr(options, name) == 3
    calls: list[int] = []
    squall.options.add_parse_callback(lambda: calls.append(1))
    assert options._parse_callbacks[-1] is not None
    options._parse_callbacks.pop()


def test_define_logging_options_configures_logging(tmp_path: Path) -> None:
    p = OptionParser()
    define_logging_options(p)
    logger = logging.getLogger()
    old_level, old_handlers = logger.level, list(logger.handlers)
    log_file = tmp_path / "app.log"
    try:
        p.parse_command_line(
            ["prog", "--logging=warning", f"--log-file-prefix={log_file}", "--log-to-stderr=0"]
        )
        assert logger.level == logging.WARNING
        new = [h for h in logger.handlers if h not in old_handlers]
        assert len(new) == 1
        assert isinstance(new[0], logging.FileHandler)
        assert new[0].baseFilename == str(log_file)
    finally:
        for handler in logger.handlers[:]:
            if handler not in old_handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(old_level)
    with pytest.raises(Error, match="already defined"):
        define_logging_options(p)


def test_logging_none_leaves_logging_alone() -> None:
    p = OptionParser()
    define_logging_options(p)
    logger = logging.getLogger()
    before = (logger.level, list(logger.handlers))
    p.parse_command_line(["prog", "--logging=none"])
    assert (logger.level, list(logger.handlers)) == before


def test_caller_file_attribution_for_program_argv() -> None:
    p = OptionParser()
    p.define("x", default=1)
    assert p._options["x"].file_name == __file__
    assert p._options["help"].file_name == ""
    with mock.patch.object(sys, "argv", ["myprog"]):
        assert _help_text(p).startswith("Usage: myprog [OPTIONS]")
