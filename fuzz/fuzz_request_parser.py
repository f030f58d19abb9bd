"""atheris fuzz target: the HTTP/1.1 request parser (heads, framing and bodies).

Short bounded run without atheris: ``tests/http1/test_http1_fuzz_targets.py``.
Long run (see docs/testing.md)::

    pip install atheris
    python fuzz/fuzz_request_parser.py fuzz/corpus/request_parser -max_total_time=3600
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


def test_one_input(data: bytes) -> None:
    """Parse ``data`` as a sequence of requests: only ``HTTPParseError`` may escape."""
    check(data)


def main() -> None:
    """Run atheris over ``test_one_input`` with the command-line arguments."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
