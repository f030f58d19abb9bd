"""Resolver: the configurable asynchronous DNS interface, and its implementations."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
from collections.abc import Awaitable
from typing import Any, ClassVar

from squall.concurrent import dummy_executor
from squall.netutil._idna import encode_host
from squall.util import Configurable

__all__ = [
    "BlockingResolver",
    "DefaultExecutorResolver",
    "DefaultLoopResolver",
    "ExecutorResolver",
    "OverrideResolver",
    "Resolver",
    "ThreadedResolver",
]

_Results = list[tuple[int, Any]]


def _resolve_addr(host: str, port: int, family: socket.AddressFamily) -> _Results:
    """Blocking lookup: ``getaddrinfo`` reduced to ``(family, sockaddr)`` pairs."""
    infos = socket.getaddrinfo(encode_host(host), port, family, socket.SOCK_STREAM)
    return [(int(info[0]), info[4]) for info in infos]


class Resolver(Configurable):
    """Configurable asynchronous DNS resolver interface (Tornado's ``tornado.netutil.Resolver``).

    ``Resolver()`` builds the configured implementation, :class:`DefaultLoopResolver`
    unless another was chosen with :meth:`~squall.util.Configurable.configure`::

        Resolver.configure("squall.netutil.ThreadedResolver", num_threads=4)

    Implementations shipped here: :class:`DefaultLoopResolver` (the default),
    :class:`DefaultExecutorResolver`, :class:`ExecutorResolver`,
    :class:`BlockingResolver` and :class:`ThreadedResolver` (the last four are
    deprecated in Tornado and kept for porting), and :class:`OverrideResolver`.

    Host names with non-ASCII characters are encoded with IDNA 2008 and UTS #46
    mapping (the ``idna`` library) before the lookup; Tornado leaves that to
    Python's IDNA 2003 codec. An invalid name fails the lookup with
    ``socket.gaierror``.
    """

    @classmethod
    def configurable_base(cls) -> type[Configurable]:
        """Return :class:`Resolver`, the root of the hierarchy."""
        return Resolver

    @classmethod
    def configurable_default(cls) -> type[Configurable]:
        """Return :class:`DefaultLoopResolver`, the default since Tornado 6.2."""
        return DefaultLoopResolver

    def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> Awaitable[list[tuple[int, Any]]]:
        """Resolve ``host`` and ``port`` to the addresses to connect to.

        Args:
            host (str): a host name (non-ASCII names are IDNA-encoded) or a literal
                IP address.
            port (int): the TCP port, put into every returned address.
            family (socket.AddressFamily): ``AF_INET`` or ``AF_INET6`` to restrict
                the answers; ``AF_UNSPEC`` (default) for both.

        Returns:
            An awaitable of a list of ``(family, address)`` pairs, in the order the
            system resolver ranks them, where ``address`` suits
            ``socket.connect``: ``(host, port)`` for IPv4, ``(host, port,
            flowinfo, scope_id)`` for IPv6.

        Raises:
            OSError: (from the awaitable) the name cannot be resolved, usually a
                ``socket.gaierror``; Tornado 4.4+ standardised on ``IOError``.
        """
        raise NotImplementedError()

    def close(self) -> None:
        """Release the resources the resolver holds (an executor, say); a no-op here."""


class DefaultLoopResolver(Resolver):
    """The default :class:`Resolver`: asyncio's ``loop.getaddrinfo``.

    asyncio runs the blocking ``getaddrinfo`` in the loop's default executor (and
    an accelerated loop such as uvloop uses its own resolver), so the event loop
    never blocks. Tornado's ``DefaultLoopResolver`` (Tornado 6.2+).
    """

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """Resolve with ``loop.getaddrinfo``; see :meth:`Resolver.resolve`."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            encode_host(host), port, family=family, type=socket.SOCK_STREAM
        )
        return [(int(info[0]), info[4]) for info in infos]


class DefaultExecutorResolver(Resolver):
    """A :class:`Resolver` calling ``socket.getaddrinfo`` in the loop's default executor.

    Deprecated in Tornado 6.2 (use :class:`DefaultLoopResolver`); kept for porting,
    with the same behaviour and no runtime warning, as in Tornado.
    """

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """Resolve in the default executor; see :meth:`Resolver.resolve`."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, _resolve_addr, host, port, family)


class ExecutorResolver(Resolver):
    """A :class:`Resolver` running ``socket.getaddrinfo`` on a ``concurrent.futures`` executor.

    Deprecated in Tornado 5.0 (the default resolver needs no executor of yours);
    kept for porting.

    Args:
        executor (concurrent.futures.Executor | None): where to run the lookups.
            None means :data:`squall.concurrent.dummy_executor`, which runs them
            synchronously (blocking the loop), as in Tornado.
        close_executor (bool): shut ``executor`` down in :meth:`close` (default
            True; ignored when ``executor`` is None).
    """

    executor: concurrent.futures.Executor | None
    close_executor: bool

    def initialize(
        self, executor: concurrent.futures.Executor | None = None, close_executor: bool = True
    ) -> None:
        """Set up the resolver (called by the constructor with its arguments)."""
        if executor is None:
            self.executor = dummy_executor
            self.close_executor = False
        else:
            self.executor = executor
            self.close_executor = close_executor

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        """Resolve on the executor; see :meth:`Resolver.resolve`.

        Raises:
            RuntimeError: the resolver has been closed.
        """
        executor = self.executor
        if executor is None:
            raise RuntimeError("resolve() on a closed ExecutorResolver")
        return await asyncio.wrap_future(executor.submit(_resolve_addr, host, port, family))

    def close(self) -> None:
        """Shut the executor down if this resolver owns it; later lookups fail."""
        if self.close_executor and self.executor is not None:
            self.executor.shutdown()
        self.executor = None


class BlockingResolver(ExecutorResolver):
    """A :class:`Resolver` calling ``socket.getaddrinfo`` synchronously (blocks the loop).

    The lookup runs inside :meth:`resolve`; the awaitable then resolves at once.
    Deprecated in Tornado 5.0; kept for porting.
    """

    def initialize(self) -> None:  # type: ignore[override]
        """Set up the resolver on the synchronous executor."""
        super().initialize()


class ThreadedResolver(ExecutorResolver):
    """A :class:`Resolver` on a thread pool shared by every ``ThreadedResolver``.

    As in Tornado (3.1+), the pool's size is set by the first instance created in
    a process (a forked child makes a new pool). Deprecated in Tornado 5.0;
    kept for porting::

        Resolver.configure("squall.netutil.ThreadedResolver", num_threads=10)

    Args:
        num_threads (int): worker threads of the shared pool (default 10).
    """

    _threadpool: ClassVar[concurrent.futures.ThreadPoolExecutor | None] = None
    _threadpool_pid: ClassVar[int | None] = None

    def initialize(self, num_threads: int = 10) -> None:  # type: ignore[override]
        """Set up the resolver on the shared pool (created on first use)."""
        super().initialize(
            executor=ThreadedResolver._create_threadpool(num_threads), close_executor=False
        )

    @classmethod
    def _create_threadpool(cls, num_threads: int) -> concurrent.futures.ThreadPoolExecutor:
        pid = os.getpid()
        pool = ThreadedResolver._threadpool
        if pool is None or ThreadedResolver._threadpool_pid != pid:
            # A pool inherited through fork() has no threads in this process.
            pool = concurrent.futures.ThreadPoolExecutor(
                num_threads, thread_name_prefix="squall-resolver"
            )
            ThreadedResolver._threadpool = pool
            ThreadedResolver._threadpool_pid = pid
        return pool


class OverrideResolver(Resolver):
    """Wrap another resolver, rewriting some names (or name, port pairs) first.

    Useful to point a client at a local server in tests without touching system
    settings. ``mapping`` has three kinds of keys, tried from the most specific::

        {
            "example.com": "127.0.1.1",                             # host -> host
            ("login.example.com", 443): ("localhost", 1443),        # host, port
            ("login.example.com", 443, socket.AF_INET6): ("::1", 1443),  # + family
        }

    Keys match the host exactly as given to :meth:`resolve` (no IDNA encoding or
    case folding). Tornado's ``OverrideResolver`` (the family form since 5.0).

    Args:
        resolver (Resolver): does the real lookups; closed by :meth:`close`.
        mapping (dict): the overrides, as above.
    """

    resolver: Resolver
    mapping: dict[Any, Any]

    def initialize(self, resolver: Resolver, mapping: dict[Any, Any]) -> None:
        """Set up the resolver (called by the constructor with its arguments)."""
        self.resolver = resolver
        self.mapping = mapping

    def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> Awaitable[list[tuple[int, Any]]]:
        """Apply the first matching override, then resolve with the wrapped resolver.

        See :meth:`Resolver.resolve` for the arguments and result.
        """
        mapping = self.mapping
        if (host, port, family) in mapping:
            host, port = mapping[(host, port, family)]
        elif (host, port) in mapping:
            host, port = mapping[(host, port)]
        elif host in mapping:
            host = mapping[host]
        return self.resolver.resolve(host, port, family)

    def close(self) -> None:
        """Close the wrapped resolver."""
        self.resolver.close()
