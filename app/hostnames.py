"""Domain names: normalisation (case, trailing dot, IDN in Unicode or punycode) and the
registrable domain under the public suffix list."""

from __future__ import annotations

import functools
import re

import idna
from publicsuffixlist import PublicSuffixList

from app.errors import InvalidAddress

_LDH = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@functools.lru_cache(maxsize=4096)  # pure and on every request's path; failures are not kept
def normalize_domain(text: str) -> str:
    """Return the lower-case A-label form of ``text``; raise :class:`InvalidAddress`.

    Accepts Unicode (``例子.中国``) or punycode (``xn--fsqu00a.xn--fiqs8s``), any
    letter case and one trailing dot.
    """
    name = text.strip()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise InvalidAddress("the domain is empty")
    if len(name) > 253:
        raise InvalidAddress("a domain name is at most 253 characters long")
    if name.isascii():
        name = name.lower()
        labels = name.split(".")
        if all(_LDH.match(x) and not x.startswith("xn--") for x in labels):
            return _require_dot(name)
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii").lower()
        idna.decode(ascii_name)  # a round trip rejects malformed punycode labels
    except (idna.IDNAError, UnicodeError) as exc:
        raise InvalidAddress(f"{text!r} is not a valid domain name: {exc}") from exc
    return _require_dot(ascii_name)


def _require_dot(name: str) -> str:
    if "." not in name:
        raise InvalidAddress(f"{name!r} is not a full domain name (it has no dot)")
    return name


def to_unicode(domain: str) -> str:
    """The Unicode form of an A-label domain, for display."""
    if "xn--" not in domain:
        return domain
    try:
        return str(idna.decode(domain))
    except (idna.IDNAError, UnicodeError):
        return domain


def is_hostname(text: str) -> bool:
    """True for a syntactically valid lower-case LDH host name with at least one dot."""
    labels = text.split(".")
    return len(text) <= 253 and len(labels) > 1 and all(_LDH.match(x) for x in labels)


@functools.cache
def _suffix_list() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships; nothing is downloaded


def base_domain(host: str) -> str | None:
    """The registrable domain of a host name (``aspmx.l.google.com`` → ``google.com``), or
    None for a public suffix or an empty name."""
    found = _suffix_list().privatesuffix(host.lower().rstrip("."))
    return str(found) if found else None
