"""Escaping and unescaping for HTML, JSON, URLs and text (Tornado's ``tornado.escape``)."""

from squall.escape._codecs import (
    json_decode,
    json_encode,
    parse_qs_bytes,
    url_escape,
    url_unescape,
    xhtml_escape,
    xhtml_unescape,
)
from squall.escape._linkify import linkify
from squall.escape._text import (
    native_str,
    recursive_unicode,
    squeeze,
    to_basestring,
    to_unicode,
    utf8,
)

__all__ = [
    "json_decode",
    "json_encode",
    "linkify",
    "native_str",
    "parse_qs_bytes",
    "recursive_unicode",
    "squeeze",
    "to_basestring",
    "to_unicode",
    "url_escape",
    "url_unescape",
    "utf8",
    "xhtml_escape",
    "xhtml_unescape",
]
