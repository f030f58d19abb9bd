"""multipart/form-data parsing (the ``multipart`` package behind Tornado's API).

Hypothesis round-trips (a body built by hand and one built by ``email``, then
parsed), the part-count and part-header limits, and one error, without logging,
for a body of 10,000 bad parts.
"""

from __future__ import annotations

import logging
import time
from email.message import EmailMessage
from email.policy import HTTP

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from squall.httputil import HTTPFile, HTTPInputError, parse_body_arguments
from squall.httputil import parse_multipart_form_data as parse_mp

NAME = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12)
FILENAME = st.text(
    st.characters(codec="ascii", categories=["L", "N"], include_characters="._- "),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s)
PART = st.tuples(
    NAME,
    st.binary(max_size=300),
    st.none() | FILENAME,
    st.sampled_from(["text/plain", "application/octet-stream", "image/png"]),
)


def build(boundary: bytes, parts: list[tuple[str, bytes, str | None, str]]) -> bytes:
    out = b""
    for name, value, filename, ctype in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += b"--" + boundary + b"\r\n"
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def expected(
    parts: list[tuple[str, bytes, str | None, str]],
) -> tuple[dict[str, list[bytes]], dict[str, list[tuple[str, bytes, str]]]]:
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[tuple[str, bytes, str]]] = {}
    for name, value, filename, ctype in parts:
        if filename is None:
            args.setdefault(name, []).append(value)
        else:
            files.setdefault(name, []).append((filename, value, ctype))
    return args, files


def parse(
    body: bytes, boundary: bytes, **limits: int
) -> tuple[dict[str, list[bytes]], dict[str, list[tuple[str, bytes, str]]]]:
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    parse_mp(boundary, body, args, files, **limits)
    plain = {k: [(f.filename, f.body, f.content_type) for f in v] for k, v in files.items()}
    return args, plain


@given(
    parts=st.lists(PART, max_size=8),
    boundary=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=8, max_size=40),
)
def test_hand_built_round_trip(
    parts: list[tuple[str, bytes, str | None, str]], boundary: str
) -> None:
    b = ("----" + boundary).encode()
    body = build(b, parts)
    # A value that happens to contain the delimiter would end its part early.
    assume(body.count(b"\r\n--" + b) == len(parts))
    assert parse(body, b) == expected(parts)


TEXT = st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=80)


@given(parts=st.lists(st.tuples(NAME, TEXT, st.none() | FILENAME), min_size=1, max_size=6))
def test_email_built_round_trip(parts: list[tuple[str, str, str | None]]) -> None:
    """A body written by the stdlib ``email`` package (an independent encoder)."""
    message = EmailMessage(policy=HTTP)
    message.make_mixed()
    for name, value, filename in parts:
        part = EmailMessage(policy=HTTP)
        part.set_content(value, disposition="form-data", filename=filename, cte="7bit")
        part.set_param("name", name, header="Content-Disposition")
        message.attach(part)
    wire = message.as_bytes(policy=HTTP)
    boundary = message.get_boundary()  # chosen when serialised
    assert boundary is not None
    body = wire[wire.index(b"\r\n\r\n") + 4 :]
    # email ends every text body with a line break, which stays part of the value.
    want = expected(
        [
            (name, value.encode() + b"\r\n", filename, 'text/plain; charset="utf-8"')
            for name, value, filename in parts
        ]
    )
    assert parse(body, boundary.encode()) == want


def test_part_count_limit() -> None:
    parts: list[tuple[str, bytes, str | None, str]] = [("f", b"v", None, "")] * 10
    body = build(b"BB", parts)
    assert parse(body, b"BB", max_parts=10)[0] == {"f": [b"v"] * 10}
    with pytest.raises(HTTPInputError):
        parse(body, b"BB", max_parts=9)


def test_part_header_size_limit() -> None:
    long_name = "n" * 9000
    body = build(b"BB", [(long_name, b"v", None, "")])
    with pytest.raises(HTTPInputError):
        parse(body, b"BB")
    assert parse(body, b"BB", max_part_header_size=10_000)[0] == {long_name: [b"v"]}


@pytest.mark.parametrize(
    "bad_part",
    [
        b"--BB\r\nContent-Disposition: attachment\r\n\r\nx\r\n",
        b"--BB\r\nNo-Colon-Here\r\n\r\nx\r\n",
        b"--BB\r\nContent-Disposition: form-data\r\n\r\nx\r\n",
        b"--BB\r\n\x00\x01garbage\r\n",
    ],
)
def test_ten_thousand_bad_parts_give_one_error_and_no_log(
    bad_part: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    body = bad_part * 10_000 + b"--BB--\r\n"
    caplog.set_level(logging.DEBUG)
    args: dict[str, list[bytes]] = {}
    files: dict[str, list[HTTPFile]] = {}
    start = time.perf_counter()
    with pytest.raises(HTTPInputError):
        parse_body_arguments("multipart/form-data; boundary=BB", body, args, files)
    assert time.perf_counter() - start < 1.0
    assert (args, files) == ({}, {})  # nothing half-parsed is left behind
    assert caplog.records == []
    with pytest.raises(HTTPInputError):  # still one error with the count limit lifted
        parse_mp(b"BB", body, args, files, max_parts=100_000)
    assert caplog.records == []


def test_truncated_body_is_rejected() -> None:
    body = build(b"BB", [("a", b"1", None, "")])
    for cut in range(len(body) - 4):
        with pytest.raises(HTTPInputError):
            parse(body[:cut], b"BB")
