"""Tests for squall.util."""

from __future__ import annotations

import datetime
import errno
import gzip
import os
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.util import (
    ArgReplacer,
    Configurable,
    GzipDecompressor,
    ObjectDict,
    TimeoutError,
    errno_from_exception,
    exec_in,
    import_object,
    raise_exc_info,
    re_unescape,
    timedelta_to_seconds,
)


def test_object_dict() -> None:
    d = ObjectDict(a=1)
    d.b = 2
    assert d.a == 1 and d["b"] == 2
    with pytest.raises(AttributeError):
        _ = d.missing


def test_import_object() -> None:
    assert import_object("os") is os
    assert import_object("os.path") is os.path
    assert import_object("os.path.join") is os.path.join
    with pytest.raises(ImportError):
        import_object("os.no_such_thing_here")
    with pytest.raises(ImportError):
        import_object("no_such_module_squall_test")


def test_errno_from_exception() -> None:
    assert errno_from_exception(OSError(errno.EPIPE, "x")) == errno.EPIPE
    assert errno_from_exception(Exception(errno.ECONNRESET)) == errno.ECONNRESET
    assert errno_from_exception(Exception()) is None
    assert errno_from_exception(Exception("text")) is None


def test_timedelta_and_timeout_error() -> None:
    assert timedelta_to_seconds(datetime.timedelta(minutes=1, milliseconds=500)) == 60.5
    import builtins

    assert TimeoutError is builtins.TimeoutError


def test_exec_in_and_raise_exc_info() -> None:
    ns: dict[str, Any] = {}
    exec_in("x = 1 + 1", ns)
    assert ns["x"] == 2
    try:
        raise KeyError("orig")
    except KeyError as e:
        info = (type(e), e, e.__traceback__)
    with pytest.raises(KeyError, match="orig"):
        raise_exc_info(info)


def test_re_unescape() -> None:
    assert re_unescape(r"a\.b\*c\/") == "a.b*c/"
    with pytest.raises(ValueError):
        re_unescape(r"\d")
    with pytest.raises(ValueError):
        re_unescape(r"\1")


@given(st.text())
def test_re_unescape_roundtrip(s: str) -> None:
    assert re_unescape(re.escape(s)) == s


class _Base(Configurable):
    @classmethod
    def configurable_base(cls) -> type[Configurable]:
        return _Base

    @classmethod
    def configurable_default(cls) -> type[Configurable]:
        return _ImplA

    def initialize(self, a: int = 0, b: int = 0) -> None:
        self.a = a
        self.b = b


class _ImplA(_Base):
    pass


class _ImplB(_Base):
    pass


def test_configurable() -> None:
    saved = _Base._save_configuration()
    try:
        obj = _Base(a=1)
        assert type(obj) is _ImplA and obj.a == 1
        _Base.configure(_ImplB, b=7)
        obj2 = _Base(a=2)
        assert type(obj2) is _ImplB and (obj2.a, obj2.b) == (2, 7)
        # Direct construction of a subclass ignores configured kwargs.
        assert _ImplA().b == 0
        _Base.configure(f"{__name__}._ImplA")
        assert type(_Base()) is _ImplA
        with pytest.raises(ValueError):
            _Base.configure(int)  # type: ignore[arg-type]
        assert _Base.configured_class() is _ImplA
    finally:
        _Base._restore_configuration(saved)
    assert type(_Base()) is _ImplA


def _target(a: int, b: int, callback: Any = None) -> None:
    pass


def test_arg_replacer() -> None:
    r = ArgReplacer(_target, "callback")
    assert r.get_old_value((1, 2, "cb"), {}) == "cb"
    assert r.get_old_value((1, 2), {"callback": "kw"}) == "kw"
    assert r.get_old_value((1, 2), {}, default="d") == "d"
    old, args, kwargs = r.replace("new", (1, 2, "cb"), {})
    assert (old, list(args), kwargs) == ("cb", [1, 2, "new"], {})
    old, args, kwargs = r.replace("new", (1, 2), {})
    assert (old, tuple(args), kwargs) == (None, (1, 2), {"callback": "new"})


def test_gzip_decompressor_with_cap() -> None:
    payload = b"squall " * 10000
    compressed = gzip.compress(payload)
    d = GzipDecompressor()
    out = b""
    pending = compressed
    chunks = 0
    while pending:
        piece = d.decompress(pending, 4096)
        assert len(piece) <= 4096
        out += piece
        pending = d.unconsumed_tail
        chunks += 1
    out += d.flush()
    assert out == payload
    assert chunks > 10


@given(st.binary(max_size=2000), st.integers(min_value=1, max_value=50))
def test_gzip_decompressor_chunked_roundtrip(data: bytes, step: int) -> None:
    compressed = gzip.compress(data)
    d = GzipDecompressor()
    out = b""
    for i in range(0, len(compressed), step):
        out += d.decompress(compressed[i : i + step])
    out += d.flush()
    assert out == data


def test_gzip_decompressor_rejects_garbage() -> None:
    import zlib

    with pytest.raises(zlib.error):
        GzipDecompressor().decompress(b"not gzip at all")
