"""A concurrent web crawler on ``squall.queues``: ``python examples/webspider.py URL``.

The idea of Tornado's ``webspider`` demo, written for squall: a :class:`squall.queues.Queue`
of URLs, ``--concurrency`` worker coroutines fetching them with
:class:`squall.httpclient.AsyncHTTPClient`, links pulled out of each HTML page with the
standard library's ``html.parser``, and ``Queue.join`` (with a deadline) to know when
the whole site has been visited. Only URLs under the start URL's directory (same
scheme, host and port) are followed. Each URL is queued at most once (it is marked as
seen when queued, not when fetched), so every page is fetched exactly once and at
most ``concurrency`` requests are ever in flight. Redirects are not followed by the
client: a ``Location`` is treated as one more link, so a redirect to an already
visited page costs no second fetch.

Prints every URL as it is fetched, then a summary (pages fetched, failures, seconds).
Exits with status 1 if the crawl did not finish within ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from squall.httpclient import AsyncHTTPClient, HTTPResponse
from squall.queues import Queue

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class LinkParser(HTMLParser):
    """Collect the ``href`` of every ``<a>`` and ``<area>`` element of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the element's ``href`` if it is a link."""
        if tag not in {"a", "area"}:
            return
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value.strip())


def normalize(url: str) -> str:
    """Return ``url`` without its fragment, with a lower-case scheme and host.

    ``http://Host/a#x`` and ``http://host/a`` are the same page; an empty path is
    ``/`` (RFC 3986 section 6.2.3).
    """
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def extract_links(page_url: str, html: str) -> list[str]:
    """Return the absolute, normalized URLs an HTML page links to, in document order.

    Relative links are resolved against ``page_url``; links that are not http(s)
    (``mailto:``, ``javascript:``...) are dropped.
    """
    parser = LinkParser()
    parser.feed(html)
    parser.close()
    links = []
    for href in parser.hrefs:
        url = urljoin(page_url, href)
        if urlsplit(url).scheme in {"http", "https"}:
            links.append(normalize(url))
    return links


def same_site(root: str, url: str) -> bool:
    """Return True if ``url`` lies under ``root``'s directory, on the same scheme and host.

    ``http://h/docs/index.html`` covers ``http://h/docs/...``; ``http://h/`` the whole host.
    """
    base, target = urlsplit(root), urlsplit(url)
    return (
        base.scheme == target.scheme
        and base.netloc == target.netloc
        and target.path.startswith(base.path.rsplit("/", 1)[0] + "/")
    )


@dataclass
class CrawlResult:
    """What a crawl found.

    Attributes:
        fetched: every URL fetched, mapped to its HTTP status (599 for a connection
            error or timeout).
        failed: the URLs that did not answer 2xx or 3xx, mapped to the reason.
        seconds: how long the crawl took.
    """

    fetched: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


async def crawl(
    root_url: str,
    concurrency: int = 10,
    timeout: float = 300.0,
    client: AsyncHTTPClient | None = None,
    on_fetch: Callable[[str, int], None] | None = None,
) -> CrawlResult:
    """Visit every page reachable from ``root_url`` within its site, once each.

    Args:
        root_url: the first page; only URLs under its directory (see
            :func:`same_site`) are followed.
        concurrency: the number of worker coroutines, hence the most requests in
            flight at once.
        timeout: seconds the whole crawl may take.
        client: the HTTP client (default: the loop's shared ``AsyncHTTPClient``;
            give one with ``max_clients >= concurrency`` to really run
            ``concurrency`` requests at once).
        on_fetch: called with ``(url, status)`` after each fetch.

    Returns:
        The :class:`CrawlResult`.

    Raises:
        TimeoutError: the crawl did not finish within ``timeout`` seconds (the
            workers are stopped first).
        ValueError: ``concurrency`` is less than 1.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    http = client if client is not None else AsyncHTTPClient()
    root = normalize(root_url)
    result = CrawlResult()
    queue: Queue[str | None] = Queue()
    seen = {root}
    queue.put_nowait(root)
    started = time.monotonic()

    def enqueue(urls: Iterable[str]) -> None:
        for url in urls:
            if url not in seen and same_site(root, url):
                seen.add(url)
                queue.put_nowait(url)

    async def visit(url: str) -> int:
        try:
            response: HTTPResponse = await http.fetch(
                url, raise_error=False, follow_redirects=False
            )
        except Exception as e:  # connection refused, timeout (599), ...
            result.failed[url] = f"{type(e).__name__}: {e}"
            return 599
        code = response.code
        if code in _REDIRECTS:
            location = response.headers.get("Location")
            if location:
                enqueue([normalize(urljoin(url, location))])
        elif code >= 400:
            result.failed[url] = f"HTTP {code}"
        elif response.headers.get("Content-Type", "").startswith("text/html"):
            enqueue(extract_links(url, response.body.decode("utf-8", "replace")))
        return code

    async def worker() -> None:
        async for url in queue:
            if url is None:  # the stop signal
                queue.task_done()
                return
            try:
                try:
                    code = await visit(url)
                except Exception as e:  # a bug while parsing: report it, keep crawling
                    result.failed[url] = f"{type(e).__name__}: {e}"
                    code = 599
                result.fetched[url] = code
                if on_fetch is not None:
                    on_fetch(url, code)
            finally:
                queue.task_done()

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    try:
        await queue.join(timeout=datetime.timedelta(seconds=timeout))
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    result.seconds = time.monotonic() - started
    return result


async def main(url: str, concurrency: int, timeout: float) -> int:
    """Crawl ``url`` and print what was fetched; return the process exit status."""
    client = AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    try:
        result = await crawl(
            url,
            concurrency,
            timeout,
            client,
            on_fetch=lambda fetched, code: print(code, fetched, flush=True),
        )
    except TimeoutError:
        print(f"crawl of {url} did not finish within {timeout} seconds", file=sys.stderr)
        return 1
    finally:
        client.close()
    for failed, reason in sorted(result.failed.items()):
        print(f"failed: {failed} ({reason})")
    print(
        f"done in {result.seconds:.2f} seconds: fetched {len(result.fetched)} URLs, "
        f"{len(result.failed)} failed"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="the start URL, e.g. http://127.0.0.1:8888/")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds")
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.url, options.concurrency, options.timeout)))
