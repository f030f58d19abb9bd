"""The ETag half of RequestHandler: computing and checking entity tags (RFC 9110 8.8.3)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from squall.httputil import HTTPHeaders, HTTPServerRequest

_ETAG_LIST = re.compile(rb'\*|(?:W/)?"[^"]*"')


class ETagMixin:
    """``Etag`` / ``If-None-Match`` support for ``RequestHandler`` (see its docs)."""

    request: HTTPServerRequest
    _headers: HTTPHeaders
    _write_buffer: list[bytes]

    if TYPE_CHECKING:

        def set_header(self, name: str, value: Any) -> None: ...

    def compute_etag(self) -> str | None:
        """The ETag for the buffered body: a quoted SHA-1 hex digest; None disables it.

        Returns:
            str | None: the strong entity tag, e.g. ``'"0beec7b5..."'``.
        """
        hasher = hashlib.sha1()
        for part in self._write_buffer:
            hasher.update(part)
        return f'"{hasher.hexdigest()}"'

    def set_etag_header(self) -> None:
        """Set ``Etag`` from ``compute_etag()`` (nothing when it returns None)."""
        etag = self.compute_etag()
        if etag is not None:
            self.set_header("Etag", etag)

    def check_etag_header(self) -> bool:
        """Whether the response ``Etag`` matches the request's ``If-None-Match``.

        Uses weak comparison (``W/`` prefixes ignored); ``*`` matches anything.

        Returns:
            bool: True when the client's cached copy is current.
        """
        computed = self._headers.get("Etag", "").encode("latin-1", "replace")
        header = self.request.headers.get("If-None-Match", "").encode("latin-1", "replace")
        etags = _ETAG_LIST.findall(header)
        if not computed or not etags:
            return False
        if etags[0] == b"*":
            return True

        def strip_weak(tag: bytes) -> bytes:
            return tag[2:] if tag.startswith(b"W/") else tag

        wanted = strip_weak(computed)
        return any(strip_weak(tag) == wanted for tag in etags)
