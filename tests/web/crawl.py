"""Follow a page's links on its own origin and report those that do not work.

Every ``href`` and ``src`` is read with the standard library's HTMLParser; links to
another origin or scheme (provider sites, ``mailto:``) are left alone.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

LINK_ATTRIBUTES = frozenset({"href", "src"})


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in LINK_ATTRIBUTES and value]


def links(html: str) -> list[str]:
    """Every ``href`` and ``src`` value of ``html``, entities decoded, in order."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.found


def same_origin_links(html: str, page_url: str) -> list[str]:
    """The absolute URLs of the page's links on ``page_url``'s origin, without their
    fragments, each once."""
    origin = urlsplit(page_url)[:2]
    out: dict[str, None] = {}
    for raw in links(html):
        url = urldefrag(urljoin(page_url, raw.strip())).url
        if urlsplit(url)[:2] == origin:
            out[url] = None
    return list(out)


async def broken_links(client: httpx.AsyncClient, html: str, page_url: str) -> dict[str, int]:
    """The same-origin links of a page that answer 400 or more (after redirects), with
    their status. Each is asked without the cookies an earlier link set."""
    broken = {}
    for url in same_origin_links(html, page_url):
        client.cookies.clear()
        response = await client.get(url, follow_redirects=True)
        if response.status_code >= 400:
            broken[url] = response.status_code
    return broken
