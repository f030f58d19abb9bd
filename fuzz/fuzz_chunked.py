"""atheris fuzz target: the chunked transfer-coding decoder (RFC 9112 §7.1).

The input is the body of a ``Transfer-Encoding: chunked`` request (chunk sizes,
extensions, data, trailer fields); a valid head is put in front of it. Short bounded
run without atheris: ``tests/http1/test_http1_fuzz_targets.py``. Long run (see
docs/testing.md)::

    pip install atheris
    python fuzz/fuzz_chunked.py fuzz/corpus/chunked -max_total_time=3600
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

if __name__ == "__main__":
    # Instrument only squall (and the driver) for coverage: instrumenting every
    # loaded module (atheris.instrument_all) takes a minute before the first run.
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    with atheris.instrument_imports(include=["squall", "_common"]):
        from _common import check  # type: ignore[import-not-found,unused-ignore]
else:
    from _common import check  # type: ignore[import-not-found,unused-ignore]

HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_one_input(data: bytes) -> None:
    """Decode ``data`` as a chunked body: only ``HTTPParseError`` may escape.

    A body that decodes must decode to the same bytes however it is split, and
    what follows it is parsed as the next request.
    """
    check(HEAD + data)


def main() -> None:
    """Run atheris over ``test_one_input`` with the command-line arguments."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
