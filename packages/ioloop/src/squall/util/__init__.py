"""Miscellaneous utilities (Tornado's ``tornado.util``).

Everything here depends only on the standard library.
"""

from squall.util._argreplacer import ArgReplacer
from squall.util._configurable import Configurable
from squall.util._gzip import GzipDecompressor
from squall.util._misc import (
    ObjectDict,
    TimeoutError,
    errno_from_exception,
    exec_in,
    import_object,
    raise_exc_info,
    re_unescape,
    timedelta_to_seconds,
)

__all__ = [
    "ArgReplacer",
    "Configurable",
    "GzipDecompressor",
    "ObjectDict",
    "TimeoutError",
    "errno_from_exception",
    "exec_in",
    "import_object",
    "raise_exc_info",
    "re_unescape",
    "timedelta_to_seconds",
]
