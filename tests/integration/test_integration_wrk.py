"""Load: wrk against the hello example must see no socket errors and only 2xx answers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest


def _require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is required under CI but is not on PATH")
        pytest.skip("wrk not installed")
    return path


def parse_wrk(output: str) -> dict[str, int]:
    """Pull request and error counts out of wrk's human-readable report."""
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    if total is None:
        raise AssertionError(f"unrecognised wrk output:\n{output}")
    result = {"requests": int(total.group(1)), "non2xx": 0, "socket_errors": 0}
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors is not None:
        result["socket_errors"] = sum(int(n) for n in errors.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx is not None:
        result["non2xx"] = int(non2xx.group(1))
    return result


def test_parse_wrk_output() -> None:
    sample = (
        "  1000 requests in 5.00s, 1.00MB read\n"
        "  Socket errors: connect 0, read 2, write 0, timeout 1\n"
        "  Non-2xx or 3xx responses: 7\n"
    )
    assert parse_wrk(sample) == {"requests": 1000, "non2xx": 7, "socket_errors": 3}
    assert parse_wrk("  5 requests in 1.00s, 1KB read\n")["socket_errors"] == 0
    with pytest.raises(AssertionError):
        parse_wrk("garbage")


@pytest.mark.needs_wrk
@pytest.mark.slow
def test_wrk_hello(hello_port: int) -> None:
    wrk = _require_wrk()
    proc = subprocess.run(
        [wrk, "-t1", "-c64", "-d5s", f"http://127.0.0.1:{hello_port}/"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stats = parse_wrk(proc.stdout)
    assert stats["requests"] > 0, proc.stdout
    assert stats["socket_errors"] == 0, proc.stdout
    assert stats["non2xx"] == 0, proc.stdout
