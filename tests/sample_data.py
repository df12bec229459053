"""Small provider files for tests that need data the real catalogue lacks."""

from __future__ import annotations

import json

TEMPLATE = """\
id = "{id}"
domains = {domains}
mx = {mx}
country = "ZZ"
website = "https://{id}/"
status = "{status}"
confidence = "high"
last_verified = 2026-11-27
{extra}
[name]
en = "{name}"
zh-Hans = "{name} 邮箱"
zh-Hant = "{name} 郵箱"

[[sources]]
url = "https://{id}/help"
title = "Test source"
{servers}
"""

SERVER = """
[[servers]]
protocol = "{protocol}"
host = "{host}"
port = {port}
security = "{security}"
username = "{username}"
auth = {auth}
"""


def provider_toml(
    id: str = "example.org",
    *,
    domains: tuple[str, ...] = ("example.org",),
    mx: tuple[str, ...] = (),
    status: str = "ok",
    name: str = "Example",
    extra: str = "",
    servers: tuple[tuple[str, str, int, str], ...] = (
        ("imap", "imap.example.org", 993, "tls"),
        ("smtp", "smtp.example.org", 465, "tls"),
    ),
    username: str = "address",
    auth: str = '["password"]',
) -> str:
    """A valid provider file; change one argument to make it invalid in one place."""
    rendered = "".join(
        SERVER.format(protocol=p, host=h, port=port, security=s, username=username, auth=auth)
        for p, h, port, s in servers
    )
    return TEMPLATE.format(
        id=id,
        domains=json.dumps(list(domains), ensure_ascii=False),
        mx=json.dumps(list(mx)),
        status=status,
        name=name,
        extra=extra,
        servers=rendered,
    )
