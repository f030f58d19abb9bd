"""Bounded runs of the atheris fuzz targets in ``fuzz/``, without atheris.

Each target function runs over its seed corpus and a few thousand inputs mutated
from it by a seeded PRNG (so CI needs nothing extra and failures reproduce). With
atheris installed, a 10-second real fuzzing run per target is marked ``slow``.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
TARGETS = {"fuzz_request_parser": "request_parser", "fuzz_chunked": "chunked"}


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, FUZZ / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seeds(corpus: str) -> list[bytes]:
    files = sorted((FUZZ / "corpus" / corpus).glob("*.http"))
    assert len(files) >= 10
    return [f.read_bytes() for f in files]


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """One to four random byte-level edits, or a splice with another seed."""
    buf = bytearray(data[:4096])
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        pos = rng.randint(0, len(buf))
        if choice == 0 and buf:
            del buf[min(pos, len(buf) - 1)]
        elif choice == 1:
            buf[pos:pos] = bytes([rng.randrange(256)])
        elif choice == 2:
            buf[pos:pos] = rng.choice([b"\r\n", b"\n", b"\r", b";", b":", b" ", b"\t", b"0"])
        elif choice == 3 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif choice == 4:
            other = rng.choice(pool)
            start = rng.randint(0, len(other))
            buf[pos:pos] = other[start : start + rng.randint(1, 64)]
        else:
            del buf[pos:]
    return bytes(buf)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_target_survives_its_seeds(target: str) -> None:
    run: Callable[[bytes], None] = load(target).test_one_input
    for data in seeds(TARGETS[target]):
        run(data)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_target_survives_mutated_seeds(target: str) -> None:
    run: Callable[[bytes], None] = load(target).test_one_input
    pool = seeds(TARGETS[target])
    rng = random.Random(f"squall-{target}")
    for _ in range(3000):
        run(mutate(rng, rng.choice(pool), pool))
    for _ in range(500):
        run(rng.randbytes(rng.randint(0, 200)))


def test_the_oracle_can_fail() -> None:
    """The split-vs-whole oracle catches a parser that depends on how input is split."""
    common = load("fuzz_request_parser")
    parse = sys.modules["_common"].parse
    assert common.test_one_input is not None
    ok = parse([b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"])
    assert ok[1] is None and len(ok[0]) == 1
    assert parse([b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"])[1] == 400


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="needs atheris")
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_atheris_ten_seconds(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FUZZ / "corpus" / TARGETS[target], corpus)
    done = subprocess.run(
        [
            sys.executable,
            str(FUZZ / f"{target}.py"),
            str(corpus),
            "-max_total_time=10",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
