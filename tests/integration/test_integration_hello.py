"""The hello example as a real process, queried by curl, http.client and h11."""

from __future__ import annotations

import http.client
import shutil
import subprocess
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", "10", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )


def test_curl_get(hello_port: int) -> None:
    result = curl("--include", f"http://127.0.0.1:{hello_port}/")
    # text mode turns CRLF into "\n"
    head, _, body = result.stdout.partition("\n\n")
    lines = head.split("\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
    assert headers["content-length"] == "12"
    assert headers["content-type"] == "text/html; charset=UTF-8"
    assert headers["server"].startswith("SquallServer/")
    assert body == "Hello, world"


def test_curl_status_codes(hello_port: int) -> None:
    base = f"http://127.0.0.1:{hello_port}"
    fmt = ["--output", "/dev/null", "--write-out", "%{http_code}"]
    assert curl(*fmt, f"{base}/missing").stdout == "404"
    assert curl(*fmt, "--request", "POST", "--data", "x=1", f"{base}/").stdout == "405"
    assert curl(*fmt, "--head", f"{base}/").stdout == "405"


def test_curl_reuses_keep_alive_connection(hello_port: int) -> None:
    url = f"http://127.0.0.1:{hello_port}/"
    result = curl("--verbose", url, url)
    assert result.stdout == "Hello, worldHello, world"
    assert "Re-using existing connection" in result.stderr or "Reusing existing" in (result.stderr)


def test_http_client(hello_port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", hello_port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", "/")
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.read() == b"Hello, world"
        conn.request("GET", "/", headers={"If-None-Match": resp.getheader("Etag") or ""})
        resp = conn.getresponse()
        assert resp.status == 304
        assert resp.read() == b""
    finally:
        conn.close()


def test_h11_keep_alive(hello_port: int, h11_exchange: Any) -> None:
    responses = h11_exchange(hello_port, [("GET", "/"), ("GET", "/nope"), ("GET", "/")])
    assert [r.status for r in responses] == [200, 404, 200]
    assert responses[0].body == b"Hello, world"
    assert responses[0].http_version == b"1.1"
    assert b"404: Not Found" in responses[1].body
