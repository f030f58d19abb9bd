"""Keep-alive connection pool: idle streams per (scheme, host, port, TLS settings).

A stream is only returned to the pool by the client after a complete exchange that
left it open (``HTTP1Connection.read_response`` closes streams that cannot carry
another request). A pooled stream carries no request state: credentials are request
headers, and the TLS identity (client certificate, CA, verification mode) and the
proxy with its credentials are part of the key, so two requests with different
settings never share a connection.

Idle expiry costs no timer per request: each entry records when it became idle, an
entry found too old by :meth:`ConnectionPool.get` is closed, and one sweep timer per
pool (armed only while something is idle) closes the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable

from squall.iostream import IOStream


class ConnectionPool:
    """Idle keep-alive streams, most recently used first.

    Args:
        idle_timeout: seconds (``float``) an idle stream is kept before it is closed.
        max_idle_per_host: most idle streams kept per key; extra ones are closed.
    """

    def __init__(self, idle_timeout: float, max_idle_per_host: int) -> None:
        self.idle_timeout = idle_timeout
        self.max_idle_per_host = max_idle_per_host
        self._idle: dict[Hashable, list[tuple[IOStream, float]]] = {}
        self._sweeper: asyncio.TimerHandle | None = None

    def get(self, key: Hashable) -> IOStream | None:
        """Take the most recently used open idle stream for ``key``, or ``None``."""
        entries = self._idle.get(key)
        if not entries:
            return None
        oldest_ok = time.monotonic() - self.idle_timeout
        while entries:
            stream, since = entries.pop()
            stream.set_close_callback(None)
            if since < oldest_ok:
                stream.close()
            elif not stream.closed():
                if not entries:
                    del self._idle[key]
                return stream
        del self._idle[key]
        return None

    def put(self, key: Hashable, stream: IOStream) -> None:
        """Keep an open stream for reuse (closed at once if the pool for ``key`` is full)."""
        if stream.closed():
            return
        entries = self._idle.get(key)
        if entries is None:
            entries = self._idle[key] = []
        elif len(entries) >= self.max_idle_per_host:
            stream.close()
            return
        entries.append((stream, time.monotonic()))
        # The server may close an idle connection at any time: forget it then.
        stream.set_close_callback(lambda: self._discard(key, stream))
        if self._sweeper is None:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(self.idle_timeout, self._sweep)

    def _discard(self, key: Hashable, stream: IOStream) -> None:
        entries = self._idle.get(key, [])
        for i, (candidate, _since) in enumerate(entries):
            if candidate is stream:
                del entries[i]
                break
        if not entries:
            self._idle.pop(key, None)
        stream.set_close_callback(None)
        stream.close()

    def _sweep(self) -> None:
        """Close streams idle longer than ``idle_timeout``; re-arm while any remain."""
        self._sweeper = None
        now = time.monotonic()
        oldest_ok = now - self.idle_timeout
        next_due: float | None = None
        for key in list(self._idle):
            keep = []
            for stream, since in self._idle[key]:
                if since < oldest_ok:
                    stream.set_close_callback(None)
                    stream.close()
                else:
                    keep.append((stream, since))
                    due = since + self.idle_timeout
                    next_due = due if next_due is None else min(next_due, due)
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        if next_due is not None:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(max(0.0, next_due - now) + 0.001, self._sweep)

    def idle_count(self, key: Hashable | None = None) -> int:
        """Number of idle streams (for ``key``, or in total)."""
        if key is not None:
            return len(self._idle.get(key, ()))
        return sum(len(v) for v in self._idle.values())

    def close(self) -> None:
        """Close every idle stream and stop the sweep timer."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        idle, self._idle = self._idle, {}
        for entries in idle.values():
            for stream, _since in entries:
                stream.set_close_callback(None)
                stream.close()
