from __future__ import annotations

import datetime
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.options import Error, OptionParser


def _parser(kind: object, multiple: bool = False) -> OptionParser:
    p = OptionParser()
    p.define("value", type=kind, multiple=multiple)
    return p


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_int_round_trip(number: int) -> None:
    p = _parser(int)
    p.parse_command_line(["prog", f"--value={number}"])
    assert p.value == number


@given(st.floats(allow_nan=False))
def test_float_round_trip(number: float) -> None:
    p = _parser(float)
    p.parse_command_line(["prog", f"--value={number!r}"])
    assert p.value == number


@given(st.text().filter(lambda s: "\x00" not in s))
def test_str_round_trip(text: str) -> None:
    p = _parser(str)
    p.parse_command_line(["prog", f"--value={text}"])
    assert p.value == text


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=20))
def test_multiple_int_round_trip(numbers: list[int]) -> None:
    p = _parser(int, multiple=True)
    if not numbers:
        return
    p.parse_command_line(["prog", "--value=" + ",".join(map(str, numbers))])
    assert p.value == numbers


@given(st.integers(-500, 500), st.integers(0, 200))
def test_int_range_expands_inclusively(low: int, width: int) -> None:
    p = _parser(int, multiple=True)
    p.parse_command_line(["prog", f"--value={low}:{low + width}"])
    assert p.value == list(range(low, low + width + 1))


_UNITS = {
    "weeks": ("w", "weeks"),
    "days": ("d", "days"),
    "hours": ("h", "hours"),
    "minutes": ("m", "min", "minutes"),
    "seconds": ("s", "sec", "seconds", ""),
    "milliseconds": ("ms", "milliseconds"),
    "microseconds": ("us", "microseconds"),
}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_UNITS)),
            st.integers(min_value=0, max_value=10_000),
            st.data(),
            st.sampled_from(["", " ", "  "]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_timedelta_round_trip(terms: list[tuple[str, int, st.DataObject, str]]) -> None:
    expected = datetime.timedelta()
    parts = []
    for keyword, amount, data, gap in terms:
        unit = data.draw(st.sampled_from(_UNITS[keyword]))
        expected += datetime.timedelta(**{keyword: amount})
        # A unitless number must be separated from the next term's digits.
        parts.append(f"{amount}{gap}{unit}" + (" " if not unit else ""))
    p = _parser(datetime.timedelta)
    p.parse_command_line(["prog", "--value=" + " ".join(parts)])
    assert p.value == expected


@given(st.timedeltas(min_value=datetime.timedelta(days=-9999), max_value=datetime.timedelta(9999)))
def test_timedelta_seconds_round_trip(delta: datetime.timedelta) -> None:
    p = _parser(datetime.timedelta)
    seconds = delta.total_seconds()
    p.parse_command_line(["prog", f"--value={seconds!r}s"])
    assert math.isclose(p.value.total_seconds(), seconds, abs_tol=1e-6)


@given(st.text(max_size=200))
def test_timedelta_hostile_input_parses_or_raises_error(text: str) -> None:
    p = _parser(datetime.timedelta)
    try:
        p.parse_command_line(["prog", f"--value={text}"])
    except Error:
        return
    assert isinstance(p.value, datetime.timedelta)


@given(st.text(max_size=100))
def test_datetime_hostile_input_parses_or_raises_error(text: str) -> None:
    p = _parser(datetime.datetime)
    try:
        p.parse_command_line(["prog", f"--value={text}"])
    except Error:
        return
    assert isinstance(p.value, datetime.datetime)


@given(st.text(max_size=100))
def test_multiple_int_hostile_input_parses_or_raises_error(text: str) -> None:
    p = _parser(int, multiple=True)
    try:
        p.parse_command_line(["prog", f"--value={text}"])
    except Error:
        return
    assert all(isinstance(v, int) for v in p.value)


@pytest.mark.parametrize("size", [1_000, 100_000])
def test_timedelta_parsing_is_linear(size: int) -> None:
    # Long hostile inputs must fail quickly rather than backtrack.
    p = _parser(datetime.timedelta)
    for text in (" " * size + "x", "1" * size + "q", "1 " * size + "?"):
        with pytest.raises(Error):
            p.parse_command_line(["prog", f"--value={text}"])
