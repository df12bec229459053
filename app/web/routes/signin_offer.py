"""What the tester form shows about "Sign in with …" for an address: the button, or,
when the operator has not registered a client yet, what they must set."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response

from app.i18n import N_
from app.providers.db import ProviderDB
from app.providers.oauth2_record import SignInClient
from app.providers.schema import ProviderRecord
from app.signin import SignInOffer, offer_for
from app.web.http.i18n import current_lang, translations
from app.web.http.security import csp_with_form_action
from app.web.http.state import AppState

# Brand names stay as they are in every language, but for 21Vianet's cloud.
BRANDS = {
    SignInClient.MICROSOFT: "Microsoft",
    SignInClient.MICROSOFT_CN: N_("Microsoft 365 operated by 21Vianet"),
    SignInClient.GOOGLE: "Google",
    SignInClient.YAHOO: "Yahoo",
    SignInClient.AOL: "AOL",
}


def record_for_address(db: ProviderDB, email: str) -> ProviderRecord | None:
    """The provider file for ``email``'s domain, by the domain itself (no lookups)."""
    _, at, domain = email.strip().rpartition("@")
    return db.by_domain(domain) if at and domain else None


async def record_for(state: AppState, email: str) -> ProviderRecord | None:
    """The provider file for ``email``: by its domain, or by what the database or the
    cache knows of it (a company domain found by its MX). Never a discovered document."""
    record = record_for_address(state.db, email)
    if record is not None:
        return record
    _, _, domain = email.strip().rpartition("@")
    try:
        found = await state.discoverer.known_or_cached(domain) if domain else None
    except ValueError:  # InvalidAddress among them: the form says so on the next step
        return None
    config = found.config if found is not None else None
    provider = config.provider_id if config is not None else None
    return state.db.get(provider) if provider else None


def sign_in_context(offer: SignInOffer | None) -> dict[str, object] | None:
    """The ``sign_in`` the tester template reads, in the request's language."""
    if offer is None:
        return None
    gettext = translations(current_lang.get()).gettext
    url = urlsplit(str(offer.oauth.auth_url))
    return {
        "ready": offer.ready,
        "brand": gettext(BRANDS[offer.client]),
        "missing": offer.missing,
        "only_way": offer.only_way and offer.ready,
        "origin": f"{url.scheme}://{url.netloc}",  # where the sign-in form's redirect goes
    }


def allow_sign_in(response: Response, sign_in: object) -> Response:
    """``response`` with a CSP that lets the sign-in form's redirect reach the provider,
    when the page offers sign-in."""
    if isinstance(sign_in, dict) and sign_in.get("ready"):
        response.headers["content-security-policy"] = csp_with_form_action(sign_in["origin"])
    return response


async def sign_in_for(state: AppState, email: str) -> dict[str, object] | None:
    """:func:`sign_in_context` for ``email``, when its provider offers sign-in."""
    return sign_in_context(offer_for(await record_for(state, email), state.settings))
