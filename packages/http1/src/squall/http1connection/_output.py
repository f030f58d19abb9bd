"""Formatting an outgoing message head with one validation pass.

A head must never carry CR, LF or NUL inside a reason phrase, field name or
field value (response splitting), and every field name must be a token
(RFC 9110 §5.1). Checking each name and value with its own regular expression
costs two regex calls per field on every response, so instead:

* field names already seen valid are remembered (a bounded set: applications
  send the same few names, ``Content-Type``, ``Content-Length``... over and
  over), and only a name not seen before is matched against the token grammar;
* the whole head is joined first, and CR, LF and NUL are counted over it at once
  with ``str.count``: a clean head holds exactly one CR and one LF per line
  break the formatter added, and no NUL. Only when that count is off does
  ``_find_unsafe`` look field by field, to raise the precise error.
"""

from __future__ import annotations

from squall.httputil import HTTPHeaders, HTTPOutputError
from squall.httputil._abnf import field_name_re, unsafe_output_char_re

#: Field names known to match ``field-name = token``.
_valid_names: set[str] = set()
#: Cap on ``_valid_names``; names beyond it are still checked, just not remembered.
_MAX_VALID_NAMES = 512


def _check_name(name: str) -> None:
    if field_name_re.fullmatch(name) is None:
        raise HTTPOutputError(f"invalid header name {name!r}")
    if len(_valid_names) < _MAX_VALID_NAMES:
        _valid_names.add(name)


def _find_unsafe(reason: str | None, headers: HTTPHeaders) -> None:
    """Raise the error for the first reason phrase or field value with CR, LF or NUL."""
    if reason is not None and unsafe_output_char_re.search(reason):
        raise HTTPOutputError(f"invalid character in reason phrase {reason!r}")
    for name, value in headers.get_all():
        if unsafe_output_char_re.search(value):
            raise HTTPOutputError(f"invalid character in header {name}: {value!r}")


def format_head(first_line: str, headers: HTTPHeaders, reason: str | None = None) -> bytes:
    """Return ``first_line CRLF *(field-line CRLF) CRLF`` encoded as Latin-1.

    Args:
        first_line: the status line (or request line), without CRLF; the part of
            it the caller did not build itself (a reason phrase) is ``reason``.
        headers: the fields, written in ``get_all()`` order.
        reason: the reason phrase contained in ``first_line``, named in the error
            when it holds CR, LF or NUL (``None`` for a request line).

    Returns:
        The head as ``bytes``.

    Raises:
        HTTPOutputError: a field name that is not a token, CR, LF or NUL in
            ``first_line`` or a field value, or text not encodable as Latin-1.
    """
    parts = [first_line]
    append = parts.append
    valid = _valid_names
    # The stored lists, as get_all() would yield them, without a generator.
    for name, values in headers._as_list.items():
        if name not in valid:
            _check_name(name)
        for value in values:
            append(name + ": " + value)
    append("")  # the two empty items end the head with CRLF CRLF
    append("")
    text = "\r\n".join(parts)
    breaks = len(parts) - 1
    if text.count("\r") != breaks or text.count("\n") != breaks or "\x00" in text:
        _find_unsafe(reason, headers)
        # Not in a value or the reason: the caller's own part of first_line.
        raise HTTPOutputError(f"invalid character in start line {first_line!r}")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as e:
        raise HTTPOutputError(f"message head is not Latin-1: {e}") from e
