"""Write the seed corpus of the fuzz targets (run from the repository root).

Each seed is one file under ``fuzz/corpus/<target>/``. Request-parser seeds are
named ``good-<what>.http`` (parses) or ``bad-<status>-<what>.http`` (must raise
``HTTPParseError`` with that status); the conformance tests in
``tests/http1/test_http1_parser_conformance.py`` check every parser against these
names. Chunked seeds are the bytes after a ``Transfer-Encoding: chunked`` head,
named ``good-...`` or ``bad-400-...`` the same way.

    python fuzz/make_seeds.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

HEAD = b"POST / HTTP/1.1\r\nHost: a\r\n"
TE = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"

REQUESTS: dict[str, bytes] = {
    "good-get": b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "good-http10-leading-crlf": b"\r\n\r\nGET /x?y=1 HTTP/1.0\r\n\r\n",
    "good-content-length": HEAD + b"Content-Length: 5\r\n\r\nhello",
    "good-same-content-length-twice": HEAD + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    "good-chunked-ext-trailer": TE[:-2].replace(b"chunked", b"Chunked")
    + b"\r\n3;ext=1\r\nabc\r\n10 \r\n0123456789abcdef\r\n0\r\nX-Trailer: v\r\n\r\n",
    "good-chunk-ext-quoted": TE + b'5;name="a;b\\"c"\r\nhello\r\n0\r\n\r\n',
    "good-absolute-form": b"GET http://h/p HTTP/1.1\r\nhost:   b \t\r\nX-Obs: caf\xe9\r\n\r\n",
    "good-pipelined": b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
    "good-asterisk-empty-field": b"OPTIONS * HTTP/1.1\r\nHost: a\r\nEmpty:\r\n\r\n",
    "good-big-cookie": b"GET / HTTP/1.1\r\nHost: a\r\nCookie: " + b"a=b; " * 1600 + b"\r\n\r\n",
    "bad-400-cl-and-te": HEAD + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    "bad-400-two-content-lengths": HEAD + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "bad-400-content-length-list": HEAD + b"Content-Length: 1, 2\r\n\r\n",
    "bad-400-te-gzip-chunked": HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n",
    "bad-400-te-chunked-gzip": HEAD + b"Transfer-Encoding: chunked, gzip\r\n\r\n",
    "bad-400-te-xchunked": HEAD + b"Transfer-Encoding: xchunked\r\n\r\n",
    "bad-400-te-chunked-vt": HEAD + b"Transfer-Encoding: chunked\x0b\r\n\r\n",
    "bad-400-te-chunked-nbsp": HEAD + b"Transfer-Encoding: chunked\xa0\r\n\r\n",
    "bad-400-te-twice": HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
    "bad-400-te-http10": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    "bad-400-obs-fold": HEAD + b"X: a\r\n b\r\n\r\n",
    "bad-400-bare-cr": HEAD + b"X: a\rb\r\n\r\n",
    "bad-400-bare-lf-in-field": b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
    "bad-400-lf-only": b"GET / HTTP/1.1\nHost: a\n\n",
    "bad-400-space-before-colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "bad-400-no-colon": HEAD + b"NoColon\r\n\r\n",
    "bad-400-empty-name": HEAD + b": empty\r\n\r\n",
    "bad-400-nul-in-value": HEAD + b"X: a\x00b\r\n\r\n",
    "bad-400-del-in-value": HEAD + b"X: a\x7fb\r\n\r\n",
    "bad-400-non-ascii-name": HEAD + b"N\xe9me: v\r\n\r\n",
    "bad-400-nul-in-method": b"G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad-400-utf8-method": b"G\xc3\xa9T / HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad-400-non-ascii-target": b"GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad-400-space-in-target": b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad-400-http09": b"GET /\r\n\r\n",
    "bad-400-lowercase-version": b"GET / http/1.1\r\nHost: a\r\n\r\n",
    "bad-505-http2": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "bad-505-http12": b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
    "bad-400-no-host": b"GET / HTTP/1.1\r\n\r\n",
    "bad-400-two-hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "bad-413-huge-content-length": HEAD + b"Content-Length: 99999999999999999999999\r\n\r\n",
    "bad-414-long-line": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    "bad-414-long-line-unterminated": b"GET /" + b"a" * 9000,
    "bad-431-long-field": HEAD + b"X: " + b"a" * 70000 + b"\r\n\r\n",
    "bad-431-repeated-fields": HEAD + b"X: a\r\n" * 5000 + b"\r\n",
    "bad-431-101-fields": HEAD + b"X: a\r\n" * 100 + b"\r\n",
}
for i, cl in enumerate([b"+10", b"1_0", b"0x3", b"-1", b" 3x", b"1.0", b"\xd9\xa3", b"1 0"]):
    REQUESTS[f"bad-400-content-length-{i}"] = HEAD + b"Content-Length: " + cl + b"\r\n\r\n"

CHUNKED: dict[str, bytes] = {
    "good-two-chunks": b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
    "good-extensions": b'5;foo=bar\r\nhello\r\n3;q="x;y"\r\nabc\r\n0\r\n\r\n',
    "good-trailer": b"1\r\na\r\n0\r\nX-T: 1\r\nY-T: 2\r\n\r\n",
    "good-uppercase-hex": b"A\r\n0123456789\r\n0\r\n\r\n",
    "good-leading-zeros": b"0000000000000003\r\nabc\r\n0\r\n\r\n",
    "bad-400-missing-crlf": b"3\r\nabcX\r\n0\r\n\r\n",
    "bad-400-lf-after-size": b"3\nabc\r\n0\r\n\r\n",
    "bad-400-bad-trailer": b"0\r\nBad Trailer\r\n\r\n",
    "bad-400-17-hex-digits": b"1" * 17 + b"\r\nabc\r\n0\r\n\r\n",
    "bad-400-long-ext": b"3;" + b"x" * 5000 + b"\r\nabc\r\n0\r\n\r\n",
}
for i, size in enumerate([b"+3", b"0x3", b"1_0", b" 3", b"-1", b"", b"3\x00", b"3 x"]):
    CHUNKED[f"bad-400-size-{i}"] = size + b"\r\nabc\r\n0\r\n\r\n"


def main() -> None:
    """Rewrite ``fuzz/corpus/request_parser`` and ``fuzz/corpus/chunked``."""
    root = Path(__file__).parent / "corpus"
    for name, seeds in (("request_parser", REQUESTS), ("chunked", CHUNKED)):
        folder = root / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for seed, data in seeds.items():
            (folder / f"{seed}.http").write_bytes(data)


if __name__ == "__main__":
    main()
