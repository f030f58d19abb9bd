"""The request-reading half of RequestHandler: arguments and cookies."""

from __future__ import annotations

import datetime
import http.cookies
import re
from typing import Any, overload

from squall.httputil import HTTPServerRequest, format_timestamp

from ._errors import HTTPError, MissingArgumentError

# Control characters other than whitespace are replaced by spaces in decoded arguments.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f]")
# RFC 6265 section 4.1.1: cookie names are tokens; values exclude CTLs, space, DQUOTE,
# comma, semicolon and backslash. Tornado rejects anything at or below space.
_COOKIE_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
_COOKIE_ATTR_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f;]")


class _ArgDefault:
    """Sentinel type: no default was given to get_argument."""


_ARG_DEFAULT: Any = _ArgDefault()


class RequestInputMixin:
    """Argument and cookie access for ``RequestHandler`` (see its docs)."""

    request: HTTPServerRequest
    _new_cookies: list[http.cookies.SimpleCookie]

    # -- arguments ---------------------------------------------------------------------

    @overload
    def get_argument(self, name: str, default: str, strip: bool = True) -> str: ...
    @overload
    def get_argument(self, name: str, default: None, strip: bool = True) -> str | None: ...
    @overload
    def get_argument(self, name: str, *, strip: bool = True) -> str: ...

    def get_argument(self, name: str, default: Any = _ARG_DEFAULT, strip: bool = True) -> Any:
        """The last value of a query or body argument, decoded to ``str``.

        Query and ``application/x-www-form-urlencoded`` / ``multipart/form-data`` body
        arguments are merged (``request.arguments``). Control characters are replaced by
        spaces and, with ``strip``, surrounding whitespace is removed.

        Args:
            name (str): the argument name.
            default (str | None): returned when absent; when omitted a missing
                argument raises.
            strip (bool): strip leading/trailing whitespace.

        Returns:
            str | None: the value, or ``default``.

        Raises:
            MissingArgumentError: absent and no default given (a 400 response).
            HTTPError: 400 when the value is not valid UTF-8.
        """
        return self._get_argument(name, default, self.request.arguments, strip)

    def get_arguments(self, name: str, strip: bool = True) -> list[str]:
        """Every value of a query or body argument, decoded (empty list when absent).

        Args:
            name (str): the argument name.
            strip (bool): strip leading/trailing whitespace from each value.

        Returns:
            list[str]: the values in request order.

        Raises:
            HTTPError: 400 when a value is not valid UTF-8.
        """
        return self._get_arguments(name, self.request.arguments, strip)

    @overload
    def get_query_argument(self, name: str, default: str, strip: bool = True) -> str: ...
    @overload
    def get_query_argument(self, name: str, default: None, strip: bool = True) -> str | None: ...
    @overload
    def get_query_argument(self, name: str, *, strip: bool = True) -> str: ...

    def get_query_argument(
        self, name: str, default: Any = _ARG_DEFAULT, strip: bool = True
    ) -> Any:
        """Like ``get_argument`` but only from the URL query string.

        Args:
            name (str): the argument name.
            default (str | None): returned when absent; omitted means required.
            strip (bool): strip leading/trailing whitespace.

        Returns:
            str | None: the last value, or ``default``.

        Raises:
            MissingArgumentError: absent and no default given.
            HTTPError: 400 when the value is not valid UTF-8.
        """
        return self._get_argument(name, default, self.request.query_arguments, strip)

    def get_query_arguments(self, name: str, strip: bool = True) -> list[str]:
        """Every value of a query-string argument (see ``get_arguments``).

        Args:
            name (str): the argument name.
            strip (bool): strip leading/trailing whitespace.

        Returns:
            list[str]: the values in request order.

        Raises:
            HTTPError: 400 when a value is not valid UTF-8.
        """
        return self._get_arguments(name, self.request.query_arguments, strip)

    @overload
    def get_body_argument(self, name: str, default: str, strip: bool = True) -> str: ...
    @overload
    def get_body_argument(self, name: str, default: None, strip: bool = True) -> str | None: ...
    @overload
    def get_body_argument(self, name: str, *, strip: bool = True) -> str: ...

    def get_body_argument(self, name: str, default: Any = _ARG_DEFAULT, strip: bool = True) -> Any:
        """Like ``get_argument`` but only from a form-encoded request body.

        Args:
            name (str): the argument name.
            default (str | None): returned when absent; omitted means required.
            strip (bool): strip leading/trailing whitespace.

        Returns:
            str | None: the last value, or ``default``.

        Raises:
            MissingArgumentError: absent and no default given.
            HTTPError: 400 when the value is not valid UTF-8.
        """
        return self._get_argument(name, default, self.request.body_arguments, strip)

    def get_body_arguments(self, name: str, strip: bool = True) -> list[str]:
        """Every value of a form-encoded body argument (see ``get_arguments``).

        Args:
            name (str): the argument name.
            strip (bool): strip leading/trailing whitespace.

        Returns:
            list[str]: the values in request order.

        Raises:
            HTTPError: 400 when a value is not valid UTF-8.
        """
        return self._get_arguments(name, self.request.body_arguments, strip)

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """Decode a raw argument or path component; override for other encodings.

        Args:
            value (bytes): the raw (already percent-decoded) bytes.
            name (str | None): the argument name, or None for positional path arguments.

        Returns:
            str: the value decoded as UTF-8.

        Raises:
            HTTPError: 400 when ``value`` is not valid UTF-8.
        """
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPError(400, "Invalid unicode in %s: %r", name or "url", value[:40]) from None

    def _get_argument(
        self, name: str, default: Any, source: dict[str, list[bytes]], strip: bool
    ) -> Any:
        values = self._get_arguments(name, source, strip)
        if not values:
            if default is _ARG_DEFAULT:
                raise MissingArgumentError(name)
            return default
        return values[-1]

    def _get_arguments(self, name: str, source: dict[str, list[bytes]], strip: bool) -> list[str]:
        values: list[str] = []
        for raw in source.get(name, []):
            text = self.decode_argument(raw, name=name)
            text = _CONTROL_CHARS.sub(" ", text)
            if strip:
                text = text.strip()
            values.append(text)
        return values

    # -- cookies (RFC 6265) ------------------------------------------------------------

    @property
    def cookies(self) -> dict[str, http.cookies.Morsel[Any]]:
        """The request's cookies by name (``request.cookies``)."""
        return self.request.cookies

    def get_cookie(self, name: str, default: str | None = None) -> str | None:
        """The value of a request cookie.

        Args:
            name (str): the cookie name.
            default (str | None): returned when the request has no such cookie.

        Returns:
            str | None: the cookie value, or ``default``.
        """
        cookies = self.request.cookies
        if cookies is not None and name in cookies:
            return str(cookies[name].value)
        return default

    def set_cookie(  # noqa: PLR0917 - Tornado's signature
        self,
        name: str,
        value: str | bytes,
        domain: str | None = None,
        expires: float | datetime.datetime | None = None,
        path: str | None = "/",
        expires_days: float | None = None,
        *,
        max_age: int | None = None,
        httponly: bool = False,
        secure: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Add a ``Set-Cookie`` header to the response (RFC 6265 section 4.1).

        Args:
            name (str): the cookie name.
            value (str | bytes): the cookie value (UTF-8 when bytes).
            domain (str | None): the ``Domain`` attribute.
            expires (float | datetime.datetime | None): ``Expires``, a POSIX timestamp
                (seconds) or an aware/UTC datetime.
            path (str | None): the ``Path`` attribute (default ``/``).
            expires_days (float | None): sets ``Expires`` this many days (may be
                fractional) from now when ``expires`` is not given.
            max_age (int | None): the ``Max-Age`` attribute in seconds.
            httponly (bool): add ``HttpOnly``.
            secure (bool): add ``Secure``.
            samesite (str | None): the ``SameSite`` attribute (``Strict``, ``Lax`` or
                ``None``).

        Raises:
            ValueError: the name or value holds control characters, spaces or
                (in the name) separators; or an attribute holds ``;`` or controls.
        """
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if _COOKIE_FORBIDDEN.search(name + value):
            raise ValueError(f"Invalid cookie {name!r}: {value!r}")
        if not name or any(ch in name for ch in '()<>@,;:\\"/[]?={}'):
            raise ValueError(f"Invalid cookie name {name!r}")
        for attr in (domain, path, samesite):
            if attr is not None and _COOKIE_ATTR_FORBIDDEN.search(attr):
                raise ValueError(f"Invalid cookie attribute {attr!r}")
        if not hasattr(self, "_new_cookies"):
            self._new_cookies = []
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        self._new_cookies.append(jar)
        jar[name] = value
        morsel = jar[name]
        if domain:
            morsel["domain"] = domain
        if expires_days is not None and not expires:
            expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=expires_days)
        if expires:
            morsel["expires"] = format_timestamp(expires)
        if path:
            morsel["path"] = path
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        if httponly:
            morsel["httponly"] = True
        if secure:
            morsel["secure"] = True
        if samesite:
            morsel["samesite"] = samesite

    def clear_cookie(
        self, name: str, *, path: str = "/", domain: str | None = None, **kwargs: Any
    ) -> None:
        """Expire a cookie on the client (``Max-Age=0`` and an ``Expires`` in the past).

        Args:
            name (str): the cookie name.
            path (str): must match the ``Path`` the cookie was set with.
            domain (str | None): must match the ``Domain`` the cookie was set with.
            **kwargs (Any): other ``set_cookie`` keyword arguments (``secure``,
                ``samesite``, ...); ``expires``/``max_age`` are not allowed.

        Raises:
            TypeError: ``expires``, ``max_age`` or ``expires_days`` was passed.
        """
        for forbidden in ("expires", "max_age", "expires_days"):
            if forbidden in kwargs:
                raise TypeError(f"clear_cookie() got an unexpected keyword argument {forbidden!r}")
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=365)
        self.set_cookie(name, "", path=path, domain=domain, expires=past, max_age=0, **kwargs)

    def clear_all_cookies(self, **kwargs: Any) -> None:
        """Expire every cookie the request sent (see ``clear_cookie``).

        Args:
            **kwargs (Any): passed to ``clear_cookie`` (``path``, ``domain``, ...).
        """
        for name in list(self.request.cookies):
            self.clear_cookie(name, **kwargs)
