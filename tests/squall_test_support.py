"""Helpers shared by the test folders (importable as ``squall_test_support``).

``tests/`` is on ``sys.path`` for pytest (``pythonpath`` in ``pyproject.toml``)
and on mypy's path, so every test folder can import this module, including the
per-distribution nox sessions. It needs only the standard library: those sessions
install nothing but the distribution under test and its dependencies.
"""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec

_P = ParamSpec("_P")


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """Return ``(server side, client side)`` of a real 127.0.0.1 TCP connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return server, client


def run_async(test: Callable[_P, Coroutine[Any, Any, None]]) -> Callable[_P, None]:
    """Run an ``async def`` test with ``asyncio.run``.

    For test folders that also run in a nox session without squall-testing's
    pytest plugin, which is what runs bare ``async def`` tests elsewhere.
    """

    @functools.wraps(test)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper
