"""The finding catalogue: for every :class:`~app.probe.report.Code`, its severity and
its message and fix in English (marked with ``N_`` for extraction), 简体中文 and 繁體中文.

Texts are ``str.format`` templates over the names in :data:`PLACEHOLDERS`; every
language uses the same ones. Until the web layer moves them into Babel
catalogs, :func:`pick` chooses between them.
"""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.connection import CONNECTION
from app.probe.catalogue.entry import Entry, pick
from app.probe.catalogue.login import LOGIN
from app.probe.catalogue.tls import TLS
from app.probe.report import Code

CATALOGUE: dict[Code, Entry] = {**CONNECTION, **TLS, **LOGIN}

PLACEHOLDERS = frozenset(
    {"host", "port", "protocol", "provider", "version", "days", "date", "names", "issuer"}
    | {"speaks", "step", "login", "reply"}
)

# The provider's name when no account is known, and the line before its own steps.
SOME_PROVIDER = (N_("Your mail provider"), "你的邮箱服务商", "你的郵件服務商")
FOLLOW_STEPS = (
    N_("Do what {provider} asks, in this order:"),
    "请按{provider}的要求依次操作：",
    "請依{provider}的要求依序操作：",
)
# Before a server's own failure, when the login itself worked ({login}).
LOGIN_WORKED = (N_("The login works. "), "登录成功。", "登入成功。")


__all__ = [
    "CATALOGUE",
    "FOLLOW_STEPS",
    "LOGIN_WORKED",
    "PLACEHOLDERS",
    "SOME_PROVIDER",
    "Entry",
    "pick",
]
