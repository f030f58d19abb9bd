"""Decorators for handler classes and methods: slashes and streamed request bodies."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ._errors import HTTPError
from ._handler import RequestHandler

_HandlerT = TypeVar("_HandlerT", bound=type[RequestHandler])
_Method = Callable[..., Awaitable[None] | None]


def stream_request_body(cls: _HandlerT) -> _HandlerT:
    """Class decorator: deliver the request body in chunks to ``data_received``.

    The handler's ``prepare`` runs when the headers arrive (before the body is read;
    the body is not read until it returns), then ``data_received(chunk)`` for every
    chunk, then the HTTP method once the body is complete. ``request.body`` stays empty.

    Args:
        cls (type[RequestHandler]): the handler class.

    Returns:
        type[RequestHandler]: the same class, marked.

    Raises:
        TypeError: ``cls`` is not a RequestHandler subclass.
    """
    if not (isinstance(cls, type) and issubclass(cls, RequestHandler)):
        raise TypeError(f"expected subclass of RequestHandler, got {cls!r}")
    cls._stream_request_body = True
    return cls


def removeslash(method: _Method) -> _Method:
    """Method decorator: redirect ``/path/`` to ``/path`` (301 for GET/HEAD, else 404).

    The query string is kept. Use with a route like ``r"/foo/*"``.

    Args:
        method (Callable): the handler method.

    Returns:
        Callable: the wrapped method.
    """

    @functools.wraps(method)
    def wrapper(self: RequestHandler, *args: Any, **kwargs: Any) -> Awaitable[None] | None:
        path = self.request.path or ""
        if path.endswith("/"):
            if self.request.method in ("GET", "HEAD"):
                target = path.rstrip("/")
                if target:
                    if self.request.query:
                        target += "?" + self.request.query
                    self.redirect(target, permanent=True)
                    return None
            else:
                raise HTTPError(404)
        return method(self, *args, **kwargs)

    return wrapper


def addslash(method: _Method) -> _Method:
    """Method decorator: redirect ``/path`` to ``/path/`` (301 for GET/HEAD, else 404).

    The query string is kept. Use with a route like ``r"/foo/?"``.

    Args:
        method (Callable): the handler method.

    Returns:
        Callable: the wrapped method.
    """

    @functools.wraps(method)
    def wrapper(self: RequestHandler, *args: Any, **kwargs: Any) -> Awaitable[None] | None:
        path = self.request.path or ""
        if not path.endswith("/"):
            if self.request.method in ("GET", "HEAD"):
                target = path + "/"
                if self.request.query:
                    target += "?" + self.request.query
                self.redirect(target, permanent=True)
                return None
            raise HTTPError(404)
        return method(self, *args, **kwargs)

    return wrapper
