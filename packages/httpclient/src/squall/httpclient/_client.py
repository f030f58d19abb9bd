"""AsyncHTTPClient (the configurable non-blocking client) and the blocking HTTPClient."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

from squall.concurrent import (
    future_set_exception_unless_cancelled,
    future_set_result_unless_cancelled,
)
from squall.httpclient._request import _DEFAULTS, HTTPRequest, _RequestProxy
from squall.httpclient._response import HTTPResponse
from squall.httputil import HTTPHeaders
from squall.ioloop import IOLoop
from squall.util import Configurable


class AsyncHTTPClient(Configurable):
    """A non-blocking HTTP client (Tornado's ``tornado.httpclient.AsyncHTTPClient``).

    ``AsyncHTTPClient()`` returns the one client of the current ``IOLoop`` (made
    on first use) unless ``force_instance=True``; the implementation is
    ``squall.simple_httpclient.SimpleAsyncHTTPClient`` unless another was chosen
    with :meth:`configure`::

        AsyncHTTPClient.configure(None, defaults={"user_agent": "MyApp/1.0"})
        response = await AsyncHTTPClient().fetch("http://example.com/")

    Args:
        force_instance: make a new client instead of the shared one (close it
            yourself).
        defaults: ``dict`` of ``HTTPRequest`` argument defaults for every request.
        **kwargs: implementation arguments (see ``SimpleAsyncHTTPClient``).
    """

    _instance_cache: weakref.WeakKeyDictionary[IOLoop, AsyncHTTPClient] | None
    _cache_attr: ClassVar[str] = "_async_client_dict_"

    @classmethod
    def configurable_base(cls) -> type[Configurable]:
        """Return :class:`AsyncHTTPClient`, the root of the hierarchy."""
        return AsyncHTTPClient

    @classmethod
    def configurable_default(cls) -> type[Configurable]:
        """Return ``SimpleAsyncHTTPClient``, the default implementation."""
        # Same distribution, one layer of its own: imported lazily only because
        # simple_httpclient imports this module.
        from squall.simple_httpclient import SimpleAsyncHTTPClient  # noqa: PLC0415

        return SimpleAsyncHTTPClient

    @classmethod
    def _async_clients(cls) -> weakref.WeakKeyDictionary[IOLoop, AsyncHTTPClient]:
        attr = cls._cache_attr + cls.__name__
        cache: weakref.WeakKeyDictionary[IOLoop, AsyncHTTPClient] | None = cls.__dict__.get(attr)
        if cache is None:
            cache = weakref.WeakKeyDictionary()
            setattr(cls, attr, cache)
        return cache

    def __new__(cls, force_instance: bool = False, **kwargs: Any) -> Any:
        io_loop = IOLoop.current()
        instance_cache = None if force_instance else cls._async_clients()
        if instance_cache is not None and io_loop in instance_cache:
            return instance_cache[io_loop]
        instance = super().__new__(cls, **kwargs)
        # The configured implementation may not be a subclass of cls: the cache
        # belongs to the class that was called.
        instance._instance_cache = instance_cache
        if instance_cache is not None:
            instance_cache[instance.io_loop] = instance
        return instance

    def initialize(self, defaults: dict[str, Any] | None = None) -> None:
        """Set up the client (called by the constructor; see the class arguments)."""
        self.io_loop = IOLoop.current()
        self.defaults = dict(_DEFAULTS)
        if defaults is not None:
            self.defaults.update(defaults)
        self._closed = False

    def close(self) -> None:
        """Free the client's resources; ``fetch`` then raises ``RuntimeError``.

        Not needed for the shared client in normal use (Tornado's semantics); a
        client made with ``force_instance=True`` should be closed.

        Raises:
            RuntimeError: the per-IOLoop cache held another client (a bug).
        """
        if self._closed:
            return
        self._closed = True
        if self._instance_cache is not None:
            cached = self._instance_cache.pop(self.io_loop, None)
            if cached is not None and cached is not self:
                raise RuntimeError("inconsistent AsyncHTTPClient cache")

    def fetch(
        self, request: str | HTTPRequest, raise_error: bool = True, **kwargs: Any
    ) -> asyncio.Future[HTTPResponse]:
        """Fetch a URL or ``HTTPRequest``; resolve to the ``HTTPResponse``.

        Args:
            request: a URL (``str``) or an ``HTTPRequest``.
            raise_error: if ``True`` (default) a non-2xx response fails the future
                with ``HTTPClientError``; if ``False`` it is returned. Failures
                without a response (connection errors, timeouts: code 599) always
                raise, as in Tornado 6.
            **kwargs: ``HTTPRequest`` arguments, only with a URL.

        Returns:
            A ``Future`` resolving to the ``HTTPResponse``.

        Raises:
            RuntimeError: the client was closed.
            ValueError: ``kwargs`` given with an ``HTTPRequest``.
        """
        if self._closed:
            raise RuntimeError("fetch() called on closed AsyncHTTPClient")
        if not isinstance(request, HTTPRequest):
            request = HTTPRequest(url=request, **kwargs)
        elif kwargs:
            raise ValueError("kwargs can't be used if request is an HTTPRequest object")
        else:
            # The client may modify the headers (Host, Authorization...): work on a
            # copy of the caller's (a request made here from a URL is ours already).
            request.headers = HTTPHeaders(request.headers)
        proxy = _RequestProxy(request, self.defaults)
        future: asyncio.Future[HTTPResponse] = asyncio.get_running_loop().create_future()

        def handle_response(response: HTTPResponse) -> None:
            if response.error is not None and (
                raise_error or not response._error_is_response_code
            ):
                future_set_exception_unless_cancelled(future, response.error)
                return
            future_set_result_unless_cancelled(future, response)

        self.fetch_impl(proxy, handle_response)  # type: ignore[arg-type]
        return future

    def fetch_impl(self, request: HTTPRequest, callback: Callable[[HTTPResponse], None]) -> None:
        """Start ``request``; call ``callback(response)`` once (implementations override).

        Args:
            request: the request, seen through the client's defaults.
            callback: called with the ``HTTPResponse`` (errors are set on it).
        """
        raise NotImplementedError()

    @classmethod
    def configure(cls, impl: type[Configurable] | str | None, **kwargs: Any) -> None:
        """Choose the ``AsyncHTTPClient`` implementation and its constructor arguments.

        Args:
            impl: a subclass of ``AsyncHTTPClient``, its dotted name, or ``None``
                for ``SimpleAsyncHTTPClient``.
            **kwargs: arguments for every later construction (e.g. ``max_clients``,
                ``defaults``).

        Raises:
            ValueError: ``impl`` is not an ``AsyncHTTPClient`` subclass.
        """
        super().configure(impl, **kwargs)


class HTTPClient:
    """A blocking HTTP client (Tornado's ``tornado.httpclient.HTTPClient``).

    Runs an ``AsyncHTTPClient`` on a private ``IOLoop``; for scripts and tests.
    Cannot be used while an asyncio loop runs in the same thread.

    Args:
        async_client_class: the ``AsyncHTTPClient`` subclass (default: configured).
        **kwargs: arguments for the ``AsyncHTTPClient`` constructor.
    """

    def __init__(
        self, async_client_class: type[AsyncHTTPClient] | None = None, **kwargs: Any
    ) -> None:
        self._closed = True
        self._io_loop = IOLoop(make_current=False)
        if async_client_class is None:
            async_client_class = AsyncHTTPClient

        async def make_client() -> AsyncHTTPClient:
            await asyncio.sleep(0)
            client: AsyncHTTPClient = async_client_class(**kwargs)
            return client

        self._async_client: AsyncHTTPClient = self._io_loop.run_sync(make_client)
        self._closed = False

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying async client and the private ``IOLoop``."""
        if not self._closed:
            self._closed = True
            self._async_client.close()
            # One more turn of the loop lets closed connections release their sockets.
            self._io_loop.run_sync(lambda: asyncio.sleep(0))
            self._io_loop.close(all_fds=True)

    def fetch(self, request: str | HTTPRequest, **kwargs: Any) -> HTTPResponse:
        """Fetch a URL or ``HTTPRequest``, blocking until the response arrives.

        Args:
            request: a URL (``str``) or an ``HTTPRequest``.
            **kwargs: ``HTTPRequest`` arguments (with a URL), or ``raise_error``.

        Returns:
            The ``HTTPResponse``.

        Raises:
            HTTPClientError: for a non-2xx response (unless ``raise_error=False``)
                or a failure without response (code 599).
        """
        response: HTTPResponse = self._io_loop.run_sync(
            functools.partial(self._async_client.fetch, request, **kwargs)
        )
        return response
