"""``python -m squall.httpclient URL...``: fetch URLs and print them (Tornado's ``main``)."""

from __future__ import annotations

import sys

from squall.httpclient._client import HTTPClient
from squall.httpclient._errors import HTTPClientError
from squall.httpclient._response import HTTPResponse
from squall.options import OptionParser


def main(args: list[str] | None = None) -> None:
    """Fetch each URL given on the command line and print its body.

    Options (Tornado's ``tornado.httpclient.main``): ``--print_headers``
    (default false), ``--print_body`` (default true), ``--follow_redirects``
    (default true), ``--validate_cert`` (default true), ``--proxy_host``,
    ``--proxy_port``. A non-2xx response is printed like any other.

    Args:
        args: the command line (default ``sys.argv``); the first item is the
            program name.

    Raises:
        HTTPClientError: a request failed without a response (code 599).
        SystemExit: for ``--help`` or an invalid option.
    """
    options = OptionParser()
    options.define("print_headers", type=bool, default=False)
    options.define("print_body", type=bool, default=True)
    options.define("follow_redirects", type=bool, default=True)
    options.define("validate_cert", type=bool, default=True)
    options.define("proxy_host", type=str)
    options.define("proxy_port", type=int)
    urls = options.parse_command_line(args if args is not None else sys.argv)
    client = HTTPClient()
    try:
        for url in urls:
            try:
                response: HTTPResponse = client.fetch(
                    url,
                    follow_redirects=options.follow_redirects,
                    validate_cert=options.validate_cert,
                    proxy_host=options.proxy_host,
                    proxy_port=options.proxy_port,
                )
            except HTTPClientError as e:
                if e.response is None:
                    raise
                response = e.response
            if options.print_headers:
                print(response.headers)
            if options.print_body:
                print(response.body.decode("utf-8", "replace"))
    finally:
        client.close()
