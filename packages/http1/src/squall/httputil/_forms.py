"""Request bodies of HTML forms: urlencoded and multipart/form-data."""

from __future__ import annotations

import urllib.parse
from typing import Any

import multipart  # type: ignore[import-untyped,import-not-found,unused-ignore]

from squall.httputil._errors import HTTPInputError
from squall.httputil._headers import HTTPHeaders
from squall.util import ObjectDict


class HTTPFile(ObjectDict):
    """One uploaded file from a ``multipart/form-data`` body.

    Follows Tornado's ``tornado.httputil.HTTPFile``: an ``ObjectDict`` with the
    keys (also readable as attributes) ``filename`` (``str``), ``body`` (``bytes``)
    and ``content_type`` (``str``).
    """


def parse_qs_bytes(qs: str | bytes, keep_blank_values: bool = False) -> dict[str, list[bytes]]:
    """Parse a query string into ``{name: [bytes values]}``.

    Names are decoded as Latin-1 ``str``; values are kept as ``bytes`` so the caller
    picks the charset (Tornado's ``parse_qs_bytes``).
    """
    if isinstance(qs, bytes):
        qs = qs.decode("latin-1")
    parsed = urllib.parse.parse_qs(
        qs, keep_blank_values=keep_blank_values, encoding="latin-1", errors="strict"
    )
    return {name: [v.encode("latin-1") for v in values] for name, values in parsed.items()}


def _split_params(line: str) -> list[str]:
    """Split ``a; b="x;y"; c`` on semicolons outside double quotes (linear time)."""
    parts: list[str] = []
    start = 0
    in_quotes = False
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and in_quotes:
            escaped = True
        elif ch == '"':
            in_quotes = not in_quotes
        elif ch == ";" and not in_quotes:
            parts.append(line[start:i])
            start = i + 1
    parts.append(line[start:])
    return parts


def _unquote_param(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            out: list[str] = []
            it = iter(value)
            for ch in it:
                out.append(next(it, "") if ch == "\\" else ch)
            value = "".join(out)
    return value


def _parse_header(line: str) -> tuple[str, dict[str, str]]:
    """Parse ``value; name=param; ...`` (``Content-Type``, ``Content-Disposition``).

    Parameter names are lower-cased; RFC 2231/5987 ``name*=charset''pct-encoded``
    parameters replace their plain counterparts.
    """
    parts = _split_params(line)
    value = parts[0].strip()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, raw = part.partition("=")
        if not sep:
            continue
        name = name.strip().lower()
        raw = raw.strip()
        if name.endswith("*"):
            charset, q1, rest = raw.partition("'")
            _lang, q2, encoded = rest.partition("'")
            if q1 and q2:
                try:
                    extended[name[:-1]] = urllib.parse.unquote(
                        encoded, encoding=charset or "utf-8", errors="strict"
                    )
                except (LookupError, UnicodeDecodeError):
                    continue
            continue
        params[name] = _unquote_param(raw)
    params.update(extended)
    return value, params


#: Most parts accepted in one ``multipart/form-data`` body (more: 400).
DEFAULT_MAX_PARTS = 1000
#: Largest header section of one part, in bytes (more: 400).
DEFAULT_MAX_PART_HEADER_SIZE = 8 * 1024
#: Most header lines in one part (``Content-Disposition``, ``Content-Type``, ...).
_MAX_PART_HEADER_COUNT = 16


def parse_multipart_form_data(
    boundary: bytes,
    data: bytes,
    arguments: dict[str, list[bytes]],
    files: dict[str, list[HTTPFile]],
    *,
    max_parts: int = DEFAULT_MAX_PARTS,
    max_part_header_size: int = DEFAULT_MAX_PART_HEADER_SIZE,
) -> None:
    """Parse a ``multipart/form-data`` body (RFC 7578) into ``arguments`` and ``files``.

    Follows Tornado's ``parse_multipart_form_data``: parts with a ``filename``
    parameter become :class:`HTTPFile` entries in ``files`` (``content_type``
    defaults to ``application/unknown``); others are appended to
    ``arguments[name]`` as ``bytes``. The framing is parsed by the streaming
    parser of the `multipart <https://pypi.org/project/multipart/>`_ package, in
    time linear in ``len(data)``. The whole body is checked before anything is
    added, and the first problem stops parsing with a single ``HTTPInputError``
    (so a body of 10,000 bad parts costs one error, never one log line per part),
    like the part-count and part-header limits Tornado 6.5 added.

    Args:
        boundary: the ``boundary`` parameter of the Content-Type (quotes allowed).
        data: the whole request body.
        arguments: ``{name: [bytes]}`` updated in place.
        files: ``{name: [HTTPFile]}`` updated in place.
        max_parts: most parts accepted (``int``).
        max_part_header_size: largest header section of one part, in bytes.

    Raises:
        HTTPInputError: an empty boundary, a missing final boundary, a part without
            a header block, a part that is not ``form-data`` or has no ``name``,
            malformed or oversized part headers, or more than ``max_parts`` parts.
    """
    if boundary.startswith(b'"') and boundary.endswith(b'"') and len(boundary) >= 2:
        boundary = boundary[1:-1]
    if not boundary:
        raise HTTPInputError("invalid multipart/form-data: empty boundary")
    new_args: list[tuple[str, bytes]] = []
    new_files: list[tuple[str, HTTPFile]] = []
    try:
        parser = multipart.PushMultipartParser(
            boundary,
            max_header_size=max_part_header_size,
            max_header_count=_MAX_PART_HEADER_COUNT,
            max_segment_count=max_parts,
        )
        segment: Any = None
        body: list[bytes] = []
        for chunk in (data, b""):
            if not chunk and parser.closed:
                break
            for event in parser.parse(chunk):
                if isinstance(event, multipart.MultipartSegment):
                    segment, body = event, []
                elif event is not None:
                    body.append(event)
                else:
                    _add_part(segment, b"".join(body), new_args, new_files)
        if not parser.closed:
            raise HTTPInputError("invalid multipart/form-data: no final boundary found")
    except multipart.MultipartError as e:
        raise HTTPInputError(f"invalid multipart/form-data: {e}") from None
    for name, value in new_args:
        arguments.setdefault(name, []).append(value)
    for name, file in new_files:
        files.setdefault(name, []).append(file)


def _add_part(
    segment: Any,
    value: bytes,
    new_args: list[tuple[str, bytes]],
    new_files: list[tuple[str, HTTPFile]],
) -> None:
    """Sort one complete part into arguments or files (RFC 7578 §4.2, §4.4)."""
    headers = HTTPHeaders()
    for name, header_value in segment.headerlist:
        headers.add(name, header_value)
    disposition, params = _parse_header(headers.get("Content-Disposition", ""))
    if disposition.lower() != "form-data":
        raise HTTPInputError("invalid multipart/form-data: part is not form-data")
    name = params.get("name")
    if not name:
        raise HTTPInputError("invalid multipart/form-data: part has no name")
    filename = params.get("filename")
    if filename:
        content_type = headers.get("Content-Type", "application/unknown")
        new_files.append(
            (name, HTTPFile(filename=filename, body=value, content_type=content_type))
        )
    else:
        new_args.append((name, value))


#: The Content-Types ``parse_body_arguments`` parses, as prefixes (Tornado's test);
#: any other body is left alone.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def parse_body_arguments(
    content_type: str,
    body: bytes,
    arguments: dict[str, list[bytes]],
    files: dict[str, list[HTTPFile]],
    headers: HTTPHeaders | None = None,
) -> None:
    """Parse a form body into ``arguments`` and ``files`` according to its Content-Type.

    Follows Tornado 6.5's ``parse_body_arguments``: handles
    ``application/x-www-form-urlencoded`` (WHATWG URL §5.1; blank values kept) and
    ``multipart/form-data`` (RFC 7578); other content types are ignored.

    Args:
        content_type: the request's ``Content-Type`` header value.
        body: the request body.
        arguments: ``{name: [bytes]}`` updated in place.
        files: ``{name: [HTTPFile]}`` updated in place.
        headers: the request headers; a body with a ``Content-Encoding`` is refused.

    Raises:
        HTTPInputError: unsupported ``Content-Encoding``, an undecodable urlencoded
            body, a multipart body without a boundary, or a malformed multipart body.
    """
    if headers is not None and "Content-Encoding" in headers:
        raise HTTPInputError(f"unsupported Content-Encoding: {headers['Content-Encoding']}")
    if content_type.startswith(FORM_TYPES[0]):
        try:
            parsed = parse_qs_bytes(body, keep_blank_values=True)
        except Exception as e:
            raise HTTPInputError(f"invalid x-www-form-urlencoded body: {e}") from e
        for name, values in parsed.items():
            if values:
                arguments.setdefault(name, []).extend(values)
    elif content_type.startswith(FORM_TYPES[1]):
        _value, params = _parse_header(content_type)
        boundary = params.get("boundary")
        if not boundary:
            raise HTTPInputError("invalid multipart/form-data: no boundary")
        parse_multipart_form_data(boundary.encode("latin-1"), body, arguments, files)
