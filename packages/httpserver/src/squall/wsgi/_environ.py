"""Building the PEP 3333 ``environ`` dict from an HTTPServerRequest."""

from __future__ import annotations

import sys
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

from squall.httputil import HTTPServerRequest, split_host_and_port
from squall.wsgi._version import server_software

# Header fields PEP 3333 puts under their own CGI names rather than HTTP_*.
_CGI_NAMED = {"Content-Type": "CONTENT_TYPE", "Content-Length": "CONTENT_LENGTH"}


def make_environ(request: HTTPServerRequest, multithread: bool) -> dict[str, Any]:
    """The WSGI environ of ``request`` (PEP 3333 "environ Variables").

    Strings are "native strings" holding bytes as Latin-1 (PEP 3333 "Unicode
    Issues"): ``PATH_INFO`` is the percent-decoded path, decoded as Latin-1.
    Header fields become ``HTTP_<NAME>`` with ``-`` turned into ``_``; repeated
    fields are joined with ``,`` (``Cookie`` with ``; ``, RFC 6265 §5.4). A field
    whose name contains ``_`` is dropped, as gunicorn and nginx do, because it
    would collide with the ``-`` spelling (a proxy stripping ``X-User`` would let
    ``X_User`` through as ``HTTP_X_USER``). ``wsgi.input`` holds the whole body,
    de-chunked, and ``CONTENT_LENGTH`` its length.
    """
    host, port = split_host_and_port(request.host)
    if port is None:
        port = 443 if request.protocol == "https" else 80
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method or "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
        "QUERY_STRING": request.query,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": request.version,
        "SERVER_SOFTWARE": server_software,
        "REMOTE_ADDR": request.remote_ip or "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.protocol,
        "wsgi.input": BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        # The whole body is in wsgi.input, so reading it to EOF is safe (the
        # extension Werkzeug and mod_wsgi use for bodies without Content-Length).
        "wsgi.input_terminated": True,
    }
    for name in request.headers:
        if "_" in name or name == "Transfer-Encoding":
            continue
        values = request.headers.get_list(name)
        joined = "; ".join(values) if name == "Cookie" else ",".join(values)
        key = _CGI_NAMED.get(name) or "HTTP_" + name.replace("-", "_").upper()
        environ[key] = joined
    if request.body or "CONTENT_LENGTH" in environ or "Transfer-Encoding" in request.headers:
        # The length of what wsgi.input holds: the server removed the chunked
        # framing (and any Content-Encoding it decompressed).
        environ["CONTENT_LENGTH"] = str(len(request.body))
    return environ
