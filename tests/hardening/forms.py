"""Posting the site's HTML forms as a browser does: with the page's CSRF token."""

from __future__ import annotations

import re

import httpx

CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def csrf_token(page: str) -> str:
    """The CSRF token in a rendered form; fails the test when there is none."""
    found = CSRF_FIELD.search(page)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, data: dict[str, str], path: str = "/test"
) -> httpx.Response:
    """GET the form at ``path`` (which sets the CSRF cookie), then POST ``data`` with its token."""
    page = await client.get(path)
    return await client.post(path, data={**data, "csrf_token": csrf_token(page.text)})
