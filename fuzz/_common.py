"""Shared driver of the fuzz targets: run a parser over input, once whole and once split."""

from __future__ import annotations

from squall.http1connection import HTTPParseError
from squall.http1connection._parser import RequestParser

#: The only status codes a parse error may carry.
ALLOWED_CODES = frozenset({400, 413, 414, 431, 505})

Outcome = tuple[list[tuple[str, str, str, list[tuple[str, str]], bytes]], int | None]


def parse(pieces: list[bytes], max_chunk: int = 1 << 20) -> Outcome:
    """Feed ``pieces`` one after another; return (complete messages, error code or None)."""
    parser = RequestParser()
    messages: list[tuple[str, str, str, list[tuple[str, str]], bytes]] = []
    current = None
    body = b""
    try:
        for piece in pieces:
            parser.feed(piece)
            while True:
                if current is None:
                    current = parser.next_head()
                    if current is None:
                        break
                    body = b""
                data, done = parser.read_body(max_chunk)
                body += data
                if done:
                    start, headers = current
                    messages.append(
                        (start.method, start.path, start.version, list(headers.get_all()), body)
                    )
                    current = None
                elif not data:
                    break
    except HTTPParseError as e:
        assert e.code in ALLOWED_CODES, e.code
        return messages, e.code
    return messages, None


def check(data: bytes) -> Outcome:
    """The fuzz oracle: parse ``data`` whole and split; both must agree.

    Any exception other than ``HTTPParseError`` (with an allowed status) escapes,
    and so does an ``AssertionError`` when the two ways of feeding disagree.
    """
    whole = parse([data])
    # Split at a point derived from the input itself, then into 7-byte pieces, so
    # the fuzzer controls where tokens are cut.
    cut = data[0] % (len(data) + 1) if data else 0
    rest = data[cut:]
    split = parse([data[:cut]] + [rest[i : i + 7] for i in range(0, len(rest), 7)], max_chunk=5)
    # Same messages, and an error either both times or neither. Which status is
    # reported may differ when the input has several errors (a bare LF inside an
    # over-long request line is a 400 if seen first, a 414 if the length is).
    assert whole[0] == split[0], (whole, split)
    assert (whole[1] is None) == (split[1] is None), (whole, split)
    return whole
