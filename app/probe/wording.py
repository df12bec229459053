"""Putting a finding into words: the catalogue's template for its code, filled with
the probe's values (host, port, certificate dates, the server's quoted reply), in the
language asked for, with the provider's own steps where the entry wants them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.models import Step
from app.probe.account import Account, AccountFacts
from app.probe.catalogue import (
    CATALOGUE,
    FOLLOW_STEPS,
    LOGIN_WORKED,
    PASSWORD_WORD,
    SOME_PROVIDER,
    SOME_SCOPE,
    STEP_WITH_PATH,
    TOKEN_WORD,
    translate,
)
from app.probe.credential import CredentialKind
from app.probe.report import AuthStatus, Code, Finding, ProbeResult, TLSInfo
from app.probe.tls import CERT_NOT_YET_VALID
from app.probe.token_refusal import needed_scope

_REPLY_QUOTED = 200  # characters of a server's reply quoted in a message


@dataclass(frozen=True)
class Hit:
    """A finding found, before it is put into words."""

    code: Code
    detail: str = ""
    step: str = ""
    reply: str = ""  # the server's words, when the detail is more than them


def same(text: str) -> str:
    """Server text as it came (the default ``quote``)."""
    return text


def render(
    code: Code,
    result: ProbeResult,
    account: Account | None = None,
    *,
    lang: str = "en",
    detail: str = "",
) -> Finding:
    """One finding of ``code`` about ``result``, as :func:`diagnose` words it."""
    facts = AccountFacts.of(account, result.endpoint)
    return word(Hit(code, detail), result, facts, lang, same)


def word(
    hit: Hit,
    result: ProbeResult,
    facts: AccountFacts,
    lang: str,
    quote: Callable[[str], str],
) -> Finding:
    entry = CATALOGUE[hit.code]
    provider = facts.name.get(lang) if facts.name else translate(lang, SOME_PROVIDER)
    values = _Values(_values(result), provider=provider, step=hit.step)
    reply = quote(hit.reply or hit.detail)
    values["reply"] = reply if len(reply) <= _REPLY_QUOTED else reply[:_REPLY_QUOTED] + "…"
    if result.auth.status is AuthStatus.OK:
        values["login"] = translate(lang, LOGIN_WORKED)
    token = result.credential is CredentialKind.OAUTH2
    values["secret"] = translate(lang, TOKEN_WORD if token else PASSWORD_WORD)
    values["scope"] = quote(needed_scope(result, facts.scopes)) or translate(lang, SOME_SCOPE)
    fix = entry.fix_in(lang).format_map(values)
    if entry.provider_steps and facts.steps:
        lines = [fix] if entry.keep_fix else []
        lines.append(translate(lang, FOLLOW_STEPS).format_map(values))
        lines += [f"{n}. {_step_text(step, lang)}" for n, step in enumerate(facts.steps, 1)]
        fix = "\n".join(lines)
    return Finding(
        code=hit.code,
        severity=entry.severity,
        message=entry.message_in(lang).format_map(values),
        fix=fix,
        detail=hit.detail,
    )


def _step_text(step: Step, lang: str) -> str:
    text = step.text.get(lang)
    if step.path is not None:
        text = translate(lang, STEP_WITH_PATH).format(text=text, path=step.path.get(lang))
    return text + (f" {step.url}" if step.url else "")


class _Values(dict[str, str]):
    """Template values; a name without a value formats as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


def _values(result: ProbeResult) -> dict[str, str]:
    endpoint, error = result.endpoint, result.error
    values = {
        "host": endpoint.host,
        "port": str(endpoint.port),
        "protocol": endpoint.protocol.name,
        "speaks": error.speaks if error and error.speaks else "",
        "user": result.username,
    }
    values.update(_certificate_values(result.tls))
    return values


def _certificate_values(tls: TLSInfo | None) -> dict[str, str]:
    if tls is None:
        return {}
    values = {"version": tls.version or ""}
    leaf = tls.leaf
    if leaf is None:
        return values
    expires = leaf.not_before if tls.verify_code == CERT_NOT_YET_VALID else leaf.not_after
    values["date"] = expires.date().isoformat()
    values["days"] = str(tls.days_to_expiry)
    values["names"] = ", ".join(leaf.sans) or leaf.subject
    values["issuer"] = tls.chain[-1].issuer
    return values
