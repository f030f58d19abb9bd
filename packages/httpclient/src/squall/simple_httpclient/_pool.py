"""Keep-alive connection pool: idle streams per (scheme, host, port, TLS settings).

A stream is only returned to the pool by the client after a complete exchange that
left it open (``HTTP1Connection.read_response`` closes streams that cannot carry
another request). A pooled stream carries no request state: credentials are request
headers, and the TLS identity (client certificate, CA, verification mode) is part of
the key, so two requests with different TLS settings never share a connection.
"""

from __future__ import annotations

import asyncio
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
        self._idle: dict[Hashable, list[tuple[IOStream, asyncio.TimerHandle]]] = {}

    def get(self, key: Hashable) -> IOStream | None:
        """Take the most recently used open idle stream for ``key``, or ``None``."""
        entries = self._idle.get(key)
        while entries:
            stream, timer = entries.pop()
            timer.cancel()
            stream.set_close_callback(None)
            if not stream.closed():
                if not entries:
                    del self._idle[key]
                return stream
        self._idle.pop(key, None)
        return None

    def put(self, key: Hashable, stream: IOStream) -> None:
        """Keep an open stream for reuse (closed at once if the pool for ``key`` is full)."""
        if stream.closed():
            return
        entries = self._idle.setdefault(key, [])
        if len(entries) >= self.max_idle_per_host:
            stream.close()
            return
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.idle_timeout, self._discard, key, stream)
        entries.append((stream, timer))
        # The server may close an idle connection at any time: forget it then.
        stream.set_close_callback(lambda: self._discard(key, stream))

    def _discard(self, key: Hashable, stream: IOStream) -> None:
        entries = self._idle.get(key, [])
        for i, (candidate, timer) in enumerate(entries):
            if candidate is stream:
                timer.cancel()
                del entries[i]
                break
        if not entries:
            self._idle.pop(key, None)
        stream.set_close_callback(None)
        stream.close()

    def idle_count(self, key: Hashable | None = None) -> int:
        """Number of idle streams (for ``key``, or in total)."""
        if key is not None:
            return len(self._idle.get(key, ()))
        return sum(len(v) for v in self._idle.values())

    def close(self) -> None:
        """Close every idle stream."""
        idle, self._idle = self._idle, {}
        for entries in idle.values():
            for stream, timer in entries:
                timer.cancel()
                stream.set_close_callback(None)
                stream.close()
