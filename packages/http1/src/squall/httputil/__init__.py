"""HTTP message types and helpers shared by the server and client (Tornado's ``tornado.httputil``).

Headers (``HTTPHeaders``), start lines, ``HTTPServerRequest``, the connection /
delegate interfaces, form-body parsing and small helpers (timestamps, cookies,
URLs). Parsers follow RFC 9110 / RFC 9112 and treat their input as hostile: they
raise ``HTTPInputError`` and run in linear time.
"""

from squall.httputil._errors import HTTPInputError, HTTPOutputError
from squall.httputil._forms import (
    HTTPFile,
    parse_body_arguments,
    parse_multipart_form_data,
)
from squall.httputil._headers import HTTPHeaders
from squall.httputil._interfaces import (
    HTTPConnection,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
)
from squall.httputil._misc import (
    encode_username_password,
    format_timestamp,
    parse_cookie,
    qs_to_qsl,
    responses,
    split_host_and_port,
    url_concat,
)
from squall.httputil._request import HTTPServerRequest
from squall.httputil._startline import (
    RequestStartLine,
    ResponseStartLine,
    parse_request_start_line,
    parse_response_start_line,
)

__all__ = [
    "HTTPConnection",
    "HTTPFile",
    "HTTPHeaders",
    "HTTPInputError",
    "HTTPMessageDelegate",
    "HTTPOutputError",
    "HTTPServerConnectionDelegate",
    "HTTPServerRequest",
    "RequestStartLine",
    "ResponseStartLine",
    "encode_username_password",
    "format_timestamp",
    "parse_body_arguments",
    "parse_cookie",
    "parse_multipart_form_data",
    "parse_request_start_line",
    "parse_response_start_line",
    "qs_to_qsl",
    "responses",
    "split_host_and_port",
    "url_concat",
]
