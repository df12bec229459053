"""Step-by-step guides for one mail client, filled in with the user's own values.

A guide has the provider's own preparation (``before``: turn the service on,
create an authorization code), numbered ``steps`` naming the fields exactly as
the client shows them, and the ``mistakes`` people commonly make in that client.
UI text is English marked with ``N_`` and translated by the ``gettext`` passed
in; provider text comes from the data in the requested language. Where the
account takes only OAuth2, the guide says so and never asks for a password; where the
provider issues the login name, the guide names it in the provider's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.documents.client_texts import (
    CLIENT_TEXTS,
    OAUTH2_ALSO,
    OAUTH2_FIRST,
    OAUTH2_MISTAKE,
    OAUTH2_STEPS,
    PASSWORD,
    SECRET,
    USE_SECRET,
    WRONG_PASSWORD,
    WRONG_SECURITY,
    WRONG_USERNAME,
    Client,
)
from app.errors import MailsetupError
from app.i18n import N_
from app.models import AccountConfig, AuthMethod, EmailAddress, Protocol, Security, ServerEndpoint


class UnknownClient(MailsetupError, LookupError):
    """No guide exists for this client id."""


class GuideUnavailable(MailsetupError, ValueError):
    """The config lacks an incoming or an outgoing server, so no guide can be written."""


@dataclass(frozen=True)
class ProviderStep:
    """One thing the provider makes the user do first, in the requested language."""

    text: str
    path: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Guide:
    """A filled-in guide: UI text translated, provider text in the requested language."""

    client_id: str
    client: str
    title: str
    incoming: ServerEndpoint
    outgoing: ServerEndpoint
    oauth2_only: bool
    before: tuple[ProviderStep, ...]
    steps: tuple[str, ...]
    mistakes: tuple[str, ...]
    notes: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    intro: str = ""


CLIENTS: dict[str, str] = {key: client.name for key, client in CLIENT_TEXTS.items()}


def _identity(text: str) -> str:
    return text


def _method(endpoint: ServerEndpoint) -> AuthMethod:
    """The method a guide tells the user to choose: the first one that is not OAuth2."""
    return next((m for m in endpoint.auth if m is not AuthMethod.OAUTH2), AuthMethod.OAUTH2)


def _pick(config: AccountConfig) -> tuple[ServerEndpoint, ServerEndpoint]:
    incoming = config.by_protocol(Protocol.IMAP) or config.by_protocol(Protocol.POP3)
    if not incoming or not config.outgoing:
        raise GuideUnavailable(f"{config.domain} has no incoming and outgoing server to set up")
    return incoming[0], config.outgoing[0]


def _mistakes(client: Client, incoming: ServerEndpoint, outgoing: ServerEndpoint) -> list[str]:
    chosen = (incoming, outgoing)
    found = {
        "secret": _method(incoming) in SECRET,
        "starttls": any(e.security is Security.STARTTLS for e in chosen),
        "userdiff": any(
            e.username != "%EMAILADDRESS%" or e.issued_username is not None for e in chosen
        ),
        "pop": incoming.protocol is Protocol.POP3,
    }
    common = {"secret": WRONG_PASSWORD, "starttls": WRONG_SECURITY, "userdiff": WRONG_USERNAME}
    out = [client.when.get(k, common.get(k, "")) for k, on in found.items() if on]
    return [m for m in out if m] + list(client.mistakes)


def _user(endpoint: ServerEndpoint, address: EmailAddress, lang: str) -> str:
    """What to type as the user name: the address filled in, or the issued name's text."""
    if endpoint.issued_username is not None:
        return endpoint.issued_username.get(lang)
    return address.fill(endpoint.username)


def build_guide(
    config: AccountConfig,
    address: EmailAddress,
    client_id: str,
    lang: str = "en",
    *,
    gettext: Callable[[str], str] = _identity,
) -> Guide:
    """The guide for ``client_id``; raise :class:`UnknownClient` or :class:`GuideUnavailable`."""
    client = CLIENT_TEXTS.get(client_id)
    if client is None:
        raise UnknownClient(f"no guide for client {client_id!r}; known: {', '.join(CLIENTS)}")
    incoming, outgoing = _pick(config)
    oauth = all(m is AuthMethod.OAUTH2 for m in (*incoming.auth, *outgoing.auth))
    starttls = next((e for e in (incoming, outgoing) if e.security is Security.STARTTLS), outgoing)
    values: dict[str, object] = {
        "address": address.address,
        "provider": config.name.get(lang) if config.name else config.domain,
        "client": gettext(client.name),
        "secret": gettext(SECRET.get(_method(incoming), PASSWORD)),
        "starttls_port": starttls.port,
        "tls_word": gettext(client.security[Security.TLS]),
        "starttls_word": gettext(client.security[Security.STARTTLS]),
        "in_proto": gettext(client.protocols[incoming.protocol]),
    }
    for prefix, endpoint in (("in", incoming), ("out", outgoing)):
        values[f"{prefix}_host"] = endpoint.host
        values[f"{prefix}_port"] = endpoint.port
        values[f"{prefix}_user"] = _user(endpoint, address, lang)
        values[f"{prefix}_security"] = gettext(client.security[endpoint.security])
        values[f"{prefix}_auth"] = gettext(client.auth[_method(endpoint)])

    def fill(items: list[str]) -> tuple[str, ...]:
        return tuple(gettext(t).format(**values) for t in items)

    if oauth:
        steps = fill([OAUTH2_FIRST, client.oauth, *OAUTH2_STEPS])
        mistakes = fill([OAUTH2_MISTAKE])
    else:
        also = any(AuthMethod.OAUTH2 in e.auth for e in (incoming, outgoing))
        first = [USE_SECRET] if _method(incoming) in SECRET else []
        steps = fill([*first, *client.steps, *([OAUTH2_ALSO] if also else [])])
        mistakes = fill(_mistakes(client, incoming, outgoing))
    before = tuple(
        ProviderStep(
            text=s.text.get(lang),
            path=s.path.get(lang) if s.path else None,
            url=str(s.url) if s.url else None,
        )
        for s in config.steps
    )
    return Guide(
        client_id=client_id,
        client=str(values["client"]),
        title=gettext(N_("Set up {address} in {client}")).format(**values),
        incoming=incoming,
        outgoing=outgoing,
        oauth2_only=oauth,
        before=before,
        steps=steps,
        mistakes=mistakes,
        notes=tuple(t.get(lang) for t in (*config.hints.before, *config.notes)),
        after=tuple(t.get(lang) for t in config.hints.after),
        intro=gettext(client.intro) if client.intro else "",
    )
