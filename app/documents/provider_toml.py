"""A provider file (``data/providers/<domain>.toml``) built from servers a domain's owner
entered, for their own deployment of mailsetup; and the account config those servers
make, for the documents built from it.

The file follows ``app/providers/schema.py``: every required key, the name and the
notes in three languages, ``confidence = "low"`` with a note saying where the
servers came from, and one source, the domain's website. tomli-w writes it, escaping
every string.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import tomli_w

from app.hostnames import normalize_domain, to_unicode
from app.models import AccountConfig, Localized, Protocol, ServerEndpoint, Source

LANG_KEYS = ("en", "zh-Hans", "zh-Hant")
NAME = ("{domain} mail", "{domain} 邮箱", "{domain} 電子郵件")
CONFIDENCE_NOTE = (
    "The servers were entered by the owner of {domain} on mailsetup's page for domain "
    "owners; no public source confirms them.",
    "这些服务器由 {domain} 的域名所有者在 mailsetup 的域名所有者页面上填写，没有公开来源证实。",
    "這些伺服器由 {domain} 的網域擁有者在 mailsetup 的網域擁有者頁面上填寫，沒有公開來源證實。",
)
SOURCE_NOTE = (
    "The domain's website. The servers in this file were entered by its owner and are "
    "not confirmed by this source.",
    "该域名的网站。本文件中的服务器由域名所有者填写，未经此来源证实。",
    "該網域的網站。本檔案中的伺服器由網域擁有者填寫，未經此來源證實。",
)
ORDER = (Protocol.IMAP, Protocol.POP3, Protocol.SMTP)


def _texts(texts: tuple[str, str, str], domain: str) -> dict[str, Any]:
    return {k: t.format(domain=domain) for k, t in zip(LANG_KEYS, texts, strict=True)}


def _ordered(endpoints: Sequence[ServerEndpoint]) -> list[ServerEndpoint]:
    """IMAP, then POP3, then SMTP; each protocol's servers in the order given."""
    return sorted(endpoints, key=lambda e: ORDER.index(e.protocol))


def owner_config(domain: str, endpoints: Sequence[ServerEndpoint]) -> AccountConfig:
    """The account config of ``domain`` with the owner's ``endpoints``, as the provider
    file would give it: the documents (autoconfig) are built from this."""
    domain = normalize_domain(domain)
    name = Localized.model_validate(_texts(NAME, to_unicode(domain)))
    return AccountConfig(
        domain=domain,
        provider_id=domain,
        name=name,
        domains=(domain,),
        endpoints=tuple(_ordered(endpoints)),
        source=Source.DATABASE,
    )


def missing_protocols(endpoints: Sequence[ServerEndpoint]) -> list[str]:
    """What a provider file needs that ``endpoints`` lack: "incoming", "outgoing"."""
    missing = []
    if not any(e.protocol.incoming for e in endpoints):
        missing.append("incoming")
    if not any(e.protocol is Protocol.SMTP for e in endpoints):
        missing.append("outgoing")
    return missing


def provider_file(domain: str, endpoints: Sequence[ServerEndpoint], today: dt.date) -> str:
    """The TOML provider file of ``domain`` with ``endpoints``, last verified ``today``.
    Raise ValueError without an incoming (IMAP or POP3) and an SMTP server."""
    domain = normalize_domain(domain)
    missing = missing_protocols(endpoints)
    if missing:
        raise ValueError(f"a provider file needs {' and '.join(missing)} servers")
    shown = to_unicode(domain)
    servers: list[dict[str, Any]] = [
        {
            "protocol": e.protocol.value,
            "host": e.host,
            "port": e.port,
            "security": e.security.value,
            "username": "address",
            "auth": ["password"],
        }
        for e in _ordered(endpoints)
    ]
    data: dict[str, Any] = {
        "id": domain,
        "domains": [domain],
        "country": "ZZ",
        "website": f"https://{domain}/",
        "status": "ok",
        "confidence": "low",
        "last_verified": today,
        "name": _texts(NAME, shown),
        "confidence_note": _texts(CONFIDENCE_NOTE, shown),
        "servers": servers,
        "sources": [
            {"url": f"https://{domain}/", "title": shown, "note": _texts(SOURCE_NOTE, shown)}
        ],
    }
    comment = (
        f"{shown}: servers entered by the domain's owner on mailsetup's page for "
        f"domain owners, {today.isoformat()}.",
        "Check every server before you rely on this file.",
    )
    return "".join(f"# {line}\n" for line in comment) + "\n" + tomli_w.dumps(data)
