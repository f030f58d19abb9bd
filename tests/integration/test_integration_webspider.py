"""examples/webspider.py against a squall.web site of ~300 linked pages on loopback.

The site lives under ``/site/``: an index, pages ``/site/page/<n>`` linked in a graph
with cycles, self links, relative (``3``, ``./3``, ``../page/3``), absolute-path and
absolute-URL links, fragments, a few links to 404s and to redirects, links outside
``/site/`` and to another port (never to be fetched), and pages nothing links to.
The server counts every request per path and the requests in flight; the test
computes the reachable set itself from the same link table.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.httpclient import AsyncHTTPClient
from squall.web import Application, RequestHandler

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webspider.py"
PAGES = 300
LINKED = 290  # pages LINKED..PAGES-1 exist but nothing links to them
CONCURRENCY = 10


def load_example() -> ModuleType:
    name = "squall_example_webspider"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, EXAMPLE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return module


spider = load_example()


def page_links(n: int, port: int, dead_port: int) -> list[tuple[str, str | None]]:
    """The links of page ``n``: (href as written, path it leads to or None if off-site)."""
    links: list[tuple[str, str | None]] = [
        ("", f"/site/page/{n}"),  # self link, empty href
        (f"./{n}#again", f"/site/page/{n}"),  # self link, relative with a fragment
        (f"{(n + 1) % LINKED}", f"/site/page/{(n + 1) % LINKED}"),  # relative: a cycle
        (f"/site/page/{(n * 7 + 11) % LINKED}", f"/site/page/{(n * 7 + 11) % LINKED}"),
        (
            f"http://127.0.0.1:{port}/site/page/{(n * 13 + 5) % LINKED}#part",
            f"/site/page/{(n * 13 + 5) % LINKED}",
        ),
        (f"../page/{n // 2}", f"/site/page/{n // 2}"),
        ("/site/", "/site/"),
        (f"/outside/{n}", None),  # same host, outside the start directory
        (f"http://127.0.0.1:{dead_port}/site/page/{n}", None),  # another site
        ("mailto:spider@example.invalid", None),
    ]
    if n % 37 == 0:
        links.append((f"/site/page/missing-{n}", f"/site/page/missing-{n}"))
    if n % 50 == 0:
        links.append((f"/site/old/{n + 3}", f"/site/old/{n + 3}"))
    return links


def index_links(port: int) -> list[tuple[str, str | None]]:
    return [
        ("page/0", "/site/page/0"),
        ("/site/page/1", "/site/page/1"),
        (f"HTTP://127.0.0.1:{port}/site/page/2", "/site/page/2"),
        ("#top", "/site/"),
    ]


def reachable(port: int, dead_port: int) -> set[str]:
    """Breadth-first search of the link table from ``/site/``."""
    seen = {"/site/"}
    todo = ["/site/"]
    while todo:
        path = todo.pop()
        if path == "/site/":
            targets = [t for _, t in index_links(port)]
        elif path.startswith("/site/old/"):
            targets = [f"/site/page/{path.rsplit('/', 1)[1]}"]
        elif path.startswith("/site/page/missing-"):
            targets = []
        else:
            targets = [t for _, t in page_links(int(path.rsplit("/", 1)[1]), port, dead_port)]
        for target in targets:
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


class Site:
    """Server-side bookkeeping shared by the handlers."""

    def __init__(self, dead_port: int, delay: float = 0.01) -> None:
        self.dead_port = dead_port
        self.delay = delay
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.release: asyncio.Event | None = None  # set: the handlers hang until released


class SiteHandler(RequestHandler):
    def initialize(self, site: Site) -> None:
        self.site = site

    async def get(self, path: str) -> None:
        site = self.site
        full = "/" + path
        site.hits[full] += 1
        site.in_flight += 1
        site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            await asyncio.sleep(site.delay)  # keep requests overlapping
            if site.release is not None:
                await site.release.wait()
            self.respond(full)
        finally:
            site.in_flight -= 1

    def respond(self, full: str) -> None:
        port = self.request.host.rsplit(":", 1)[1]
        if full == "/site/":
            self.page("index", index_links(int(port)))
            return
        if full.startswith("/site/old/"):
            self.redirect("../page/" + full.rsplit("/", 1)[1], permanent=True)
            return
        tail = full.removeprefix("/site/page/")
        if tail.isdigit() and int(tail) < PAGES:
            self.page(tail, page_links(int(tail), int(port), self.site.dead_port))
            return
        self.set_status(404)
        self.write("<html><body>no such page</body></html>")

    def page(self, title: str, links: list[tuple[str, str | None]]) -> None:
        anchors = "\n".join(f'<li><a href="{href}">link</a></li>' for href, _ in links)
        self.write(f"<!doctype html><html><head><title>{title}</title></head><body>")
        self.write(f"<h1 id=top>{title}</h1><ul>\n{anchors}\n</ul></body></html>")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(site: Site, body: Callable[[int], Awaitable[Any]]) -> Any:
    """Run the site on a loopback port in a fresh loop; return ``await body(port)``."""

    async def main() -> Any:
        app = Application([(r"/(.*)", SiteHandler, {"site": site})])
        port = free_port()
        server = app.listen(port, "127.0.0.1")
        try:
            return await asyncio.wait_for(body(port), 30)
        finally:
            server.stop()
            await server.close_all_connections()

    return asyncio.run(main())


def test_crawls_every_reachable_page_once_with_bounded_concurrency() -> None:
    site = Site(dead_port=free_port())

    async def body(port: int) -> tuple[Any, float, int]:
        client = AsyncHTTPClient(force_instance=True, max_clients=4 * CONCURRENCY)
        started = time.monotonic()
        try:
            result = await spider.crawl(
                f"http://127.0.0.1:{port}/site/", CONCURRENCY, timeout=20, client=client
            )
        finally:
            client.close()
        return result, time.monotonic() - started, port

    result, elapsed, port = serve(site, body)
    expected = reachable(port, site.dead_port)
    assert len(expected) > 250
    # Every reachable path was requested exactly once, nothing else was.
    assert dict(site.hits) == dict.fromkeys(expected, 1)
    assert not any(str(n) == p.rsplit("/", 1)[1] for n in range(LINKED, PAGES) for p in site.hits)
    # The spider's own report agrees.
    base = f"http://127.0.0.1:{port}"
    assert set(result.fetched) == {base + p for p in expected}
    missing = {p for p in expected if "missing" in p}
    assert missing
    assert result.failed == {base + p: "HTTP 404" for p in missing}
    redirects = {p for p in expected if "/old/" in p}
    assert redirects
    assert all(result.fetched[base + p] == 301 for p in redirects)
    # Bounded, but really concurrent.
    assert site.max_in_flight <= CONCURRENCY
    assert site.max_in_flight == CONCURRENCY
    assert elapsed < 5, elapsed


def test_one_worker_fetches_one_at_a_time() -> None:
    site = Site(dead_port=free_port(), delay=0)

    async def body(port: int) -> Any:
        client = AsyncHTTPClient(force_instance=True, max_clients=20)
        try:
            return await spider.crawl(f"http://127.0.0.1:{port}/site/", 1, client=client)
        finally:
            client.close()

    result = serve(site, body)
    assert site.max_in_flight == 1
    assert set(site.hits.values()) == {1}
    assert len(result.fetched) == len(site.hits)


def test_timeout_stops_the_workers() -> None:
    site = Site(dead_port=free_port())

    async def body(port: int) -> None:
        site.release = asyncio.Event()
        client = AsyncHTTPClient(force_instance=True, max_clients=20)
        started = time.monotonic()
        try:
            with pytest.raises(TimeoutError):
                await spider.crawl(f"http://127.0.0.1:{port}/site/", 3, timeout=0.3, client=client)
            assert time.monotonic() - started < 2
        finally:
            site.release.set()
            client.close()
        await asyncio.sleep(0.05)

    serve(site, body)
    assert site.hits == Counter({"/site/": 1})


def test_command_line(tmp_path: Path) -> None:
    site = Site(dead_port=free_port(), delay=0)

    async def body(port: int) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLE),
            f"http://127.0.0.1:{port}/site/",
            "--concurrency",
            "5",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    code, out, err = serve(site, body)
    assert code == 0, err
    assert "Traceback" not in err
    assert site.max_in_flight <= 5
    assert set(site.hits.values()) == {1}
    lines = out.splitlines()
    failures = [line for line in lines if line.startswith("failed: ")]
    assert len(failures) == sum(1 for p in site.hits if "missing" in p)
    assert all("(HTTP 404)" in line for line in failures)
    assert lines[-1].startswith("done in ")
    assert lines[-1].endswith(f"fetched {len(site.hits)} URLs, {len(failures)} failed")


@pytest.mark.parametrize(
    ("page", "href", "expected"),
    [
        ("http://h/a/b", "c", "http://h/a/c"),
        ("http://h/a/b", "../c#x", "http://h/c"),
        ("http://h/a/b", "", "http://h/a/b"),
        ("http://h/a/b", "#frag", "http://h/a/b"),
        ("http://h/a/b", "HTTP://H:80/z?q=1", "http://h:80/z?q=1"),
        ("http://h/a/b", "//other/x", "http://other/x"),
    ],
)
def test_extract_links_resolves(page: str, href: str, expected: str) -> None:
    assert spider.extract_links(page, f'<p><a class=x href="{href}">t</a>') == [expected]


def test_extract_links_drops_non_http_and_anchors_without_href() -> None:
    html = '<a>x</a><a href="mailto:a@b">m</a><a href="javascript:void(0)">j</a><AREA HREF=/y>'
    assert spider.extract_links("http://h/", html) == ["http://h/y"]


def test_same_site() -> None:
    assert spider.same_site("http://h/site/", "http://h/site/page/1")
    assert spider.same_site("http://h/site/index.html", "http://h/site/x")
    assert spider.same_site("http://h/", "http://h/anything")
    assert not spider.same_site("http://h/site/", "http://h/outside/1")
    assert not spider.same_site("http://h/site/", "http://h/sitemap")
    assert not spider.same_site("http://h/site/", "https://h/site/x")
    assert not spider.same_site("http://h/site/", "http://h:81/site/x")


@given(st.text())
def test_extract_links_never_fails(html: str) -> None:
    for link in spider.extract_links("http://h/dir/page", html):
        assert link.startswith(("http://", "https://"))
        assert "#" not in link
