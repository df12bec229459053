"""Make a fetched answer independent of who asked, before it is cached and shared.

Discovery asks a domain's autoconfig with ``?emailaddress=<asker>`` (as
Thunderbird does), and a server may answer with the asker's address already
filled in. The answer is cached per domain for everyone, so that address is
turned back into Mozilla's placeholders: ``%EMAILADDRESS%`` for the address,
``%EMAILLOCALPART%`` for the local part. Each request fills them in again for its
own address, after the cache.

Only login names may hold placeholders. An answer that names the asker anywhere
else (a host name, a display name) cannot be made general: it serves the
request that fetched it and is not cached.
"""

from __future__ import annotations

import re

from app.models import AccountConfig

ADDRESS, LOCALPART = "%EMAILADDRESS%", "%EMAILLOCALPART%"


def _local_part(local: str) -> re.Pattern[str]:
    """``local`` as a whole token: not inside a longer word (``a`` in ``admin``)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(local)}(?![A-Za-z0-9])")


def general_username(username: str, email: str) -> str | None:
    """``username`` with the asker's address and local part as placeholders; None when
    that is ambiguous (the local part twice: ``example\\example`` for example@…)."""
    local = email.rpartition("@")[0]
    template = username.replace(email, ADDRESS)
    if not local:
        return template
    found = _local_part(local).findall(template)
    if len(found) > 1:
        return None
    return _local_part(local).sub(LOCALPART, template)


def names_asker(text: str, email: str) -> bool:
    """Whether ``text`` holds the asker's address, or their local part as a token."""
    local = email.rpartition("@")[0]
    return email in text or (bool(local) and _local_part(local).search(text) is not None)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def general_config(config: AccountConfig, email: str) -> tuple[AccountConfig, bool]:
    """``config`` with the asker in login names turned into placeholders, and whether
    the result is free of the asker (and so may be cached for everyone)."""
    endpoints = []
    shareable = True
    for endpoint in config.endpoints:
        username = general_username(endpoint.username, email)
        shareable = shareable and username is not None
        endpoints.append(endpoint.model_copy(update={"username": username or endpoint.username}))
    general = config.model_copy(update={"endpoints": tuple(endpoints)})
    rest = general.model_dump(exclude={"endpoints": {"__all__": {"username"}}})
    return general, shareable and not any(names_asker(s, email) for s in _strings(rest))
