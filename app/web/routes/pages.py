"""Server-rendered HTML pages: home, setup, the provider catalogue and one provider."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.discovery.service import Discovery, NotDiscovered, resolve, typo_suggestions
from app.documents.client_texts import THUNDERBIRD_FINDS
from app.documents.instructions import CLIENTS, GuideUnavailable, build_guide
from app.documents.mobileconfig import ProfileUnavailable, profile_servers
from app.errors import InvalidAddress
from app.models import AccountConfig, EmailAddress, Protocol, Source, Status, TraceOutcome
from app.providers.lookup import EndpointAnswer, LookupAnswer, answer_from_config
from app.providers.ranking import ordered, region_of
from app.providers.schema import ProviderRecord
from app.signin import offer_for
from app.web.http.deps import DBDep, DiscovererDep, SettingsDep
from app.web.http.templating import current_lang, loc, render, templates, translations
from app.web.http.throttle import DiscoveryLimit
from app.web.routes import apps, progress, qr
from app.web.routes.live_page import live_test_context, server_lines
from app.web.routes.signin_offer import allow_sign_in, sign_in_context

router = APIRouter(include_in_schema=False)

# The setup page draws its QR codes (app.web.routes.qr) through this template global.
templates.env.globals["setup_qr_codes"] = qr.setup_codes

PROTOCOL_ORDER = (Protocol.IMAP, Protocol.POP3, Protocol.SMTP)


def _grouped(answer: LookupAnswer) -> list[tuple[Protocol, list[EndpointAnswer]]]:
    groups = []
    for protocol in PROTOCOL_ORDER:
        endpoints = [e for e in answer.endpoints if e.protocol is protocol]
        if endpoints:
            groups.append((protocol, list(endpoints)))
    return groups


def _profile(
    config: AccountConfig, address: EmailAddress | None, lang: str
) -> tuple[str | None, str | None]:
    """(the Apple profile's link, or why there is none): the profile route
    (app.web.routes.clientconfig) refuses exactly what ``profile_servers`` refuses."""
    if address is None or not config.status.has_servers or not config.endpoints:
        return None, None
    try:
        profile_servers(config)
    except ProfileUnavailable as exc:
        return None, exc.explain(lang, translations(lang).gettext)
    return "/apple/mobileconfig?" + urlencode({"email": address.address}), None


def _home(request: Request, db: DBDep, **context: object) -> dict[str, object]:
    """The home page's context: the address form and the app chips."""
    app = context.pop("app", None) or apps.chosen_app(request, "")
    return {"provider_count": len(db), "choices": apps.CHOICES, "app": app, **context}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DBDep) -> HTMLResponse:
    return render(request, "home.html", _home(request, db))


# The usual names and ports (RFC 8314 implicit TLS, and submission with STARTTLS).
PATTERN = ("imap:imap.{d}:993:tls", "smtp:smtp.{d}:465:tls", "smtp:smtp.{d}:587:starttls")
NO_ANSWER = frozenset(
    {TraceOutcome.DNS_TIMEOUT, TraceOutcome.DNS_FAILED, TraceOutcome.TIMEOUT, TraceOutcome.CUT_OFF}
)


def unanswered(found: Discovery) -> bool:
    """Whether some source gave no answer at all: discovery could not finish."""
    return any(a.outcome in NO_ANSWER for a in found.trace)


def _pattern_test(
    found: Discovery, address: EmailAddress | None, keep: dict[str, str]
) -> str | None:
    """A link to the tester with the usual server names filled in, for an address at a
    domain that exists (its MX lookup answered); else None."""
    mx = {a.outcome for a in found.trace if a.source is Source.MX}
    if address is None or not mx or mx & (NO_ANSWER | {TraceOutcome.NO_SUCH_NAME}):
        return None
    servers = "\n".join(line.format(d=found.domain) for line in PATTERN)
    return "/test?" + urlencode({"email": address.address, **keep, "servers": servers})


@router.get("/setup", response_class=HTMLResponse, dependencies=[DiscoveryLimit])
async def setup(
    request: Request,
    db: DBDep,
    discoverer: DiscovererDep,
    settings: SettingsDep,
    email: Annotated[str, Query(max_length=320)] = "",
    client: Annotated[str, Query(max_length=40)] = "",
    wait: bool = False,
) -> HTMLResponse:
    """The settings for one address, from the database or discovery, or what to try;
    for one app (``client``, remembered) or for any. A browser asking for a domain not
    looked up yet first gets discovery's progress, unless it asks to ``wait``."""
    app = apps.chosen_app(request, client)
    if not wait:
        chosen = client if client == app else ""
        waiting = await progress.discovering_page(request, discoverer, email, chosen)
        if waiting is not None:
            return waiting
    try:
        address, config, found = await resolve(discoverer, email)
    except InvalidAddress as exc:
        context = _home(request, db, error=str(exc), email=email, app=app)
        return render(request, "home.html", context, status_code=422)
    except NotDiscovered as exc:
        # A domain that does not exist may be a typo of a known one: link to its page.
        local = f"{exc.address.local}@" if exc.address is not None else ""
        keep = {"client": client} if client == app else {}
        suggestions = [
            (known, "/setup?" + urlencode({"email": local + known, **keep}))
            for known in typo_suggestions(exc.discovery, db)
        ]
        context = {
            "email": email,
            "domain": exc.discovery.domain,
            "address": exc.address,
            "trace": exc.discovery.trace,
            "findings": exc.discovery.findings,
            "suggestions": suggestions,
            "unanswered": unanswered(exc.discovery),
            "pattern_test": _pattern_test(exc.discovery, exc.address, keep),
        }
        return render(request, "unknown.html", context, status_code=404)
    answer = answer_from_config(
        config, address, trace=found.trace, findings=found.findings, alternatives=found.alternatives
    )
    lang = current_lang.get()
    profile_url, no_profile = _profile(config, address, lang)
    guides = []
    if address is not None and answer.endpoints:
        gettext = translations(lang).gettext
        try:
            guides = [build_guide(config, address, c, lang, gettext=gettext) for c in CLIENTS]
        except GuideUnavailable:
            guides = []  # a config without both directions: the tables still show it
    context = {
        "answer": answer,
        "groups": _grouped(answer),
        "email": email,
        "address": address,
        "thunderbird_finds": THUNDERBIRD_FINDS,
        "mobileconfig_url": profile_url if app in apps.APPLE else None,
        "no_profile": no_profile if app in apps.APPLE else None,
        "guides": guides,
        "guide": next((g for g in guides if g.client_id == app), None),
        "app": app,
        "choices": apps.CHOICES,
        "card": apps.card_for(answer.endpoints) if app != apps.OTHER else None,
        "phone": app in apps.PHONE,
        "record": db.get(answer.provider) if answer.provider else None,
        "guessed": config.source is Source.GUESS_VERIFIED,
    }
    if address is not None:  # the test, right under the settings; guessed servers filled in
        servers = server_lines(config.endpoints) if context["guessed"] else ""
        record = db.get(answer.provider) if answer.provider else None
        offer = sign_in_context(offer_for(record, settings))
        context.update(
            live_test_context(email=address.address, client=app, servers=servers, sign_in=offer)
        )
    response = render(request, "setup.html", context)
    tester = context.get("tester")
    allow_sign_in(response, tester.get("sign_in") if isinstance(tester, dict) else None)
    if client == app:  # chosen now, not remembered from before
        apps.remember_app(response, request, app)
    return response


def _search_text(record: ProviderRecord) -> str:
    """What the page's search-as-you-type matches: id, names in every language, domains."""
    name = record.name
    words = (record.id, name.en, name.zh_hans, name.zh_hant, record.short_name or "")
    return " ".join((*words, *record.domains)).lower()


@router.get("/providers", response_class=HTMLResponse)
def providers(
    request: Request,
    db: DBDep,
    q: Annotated[str, Query(max_length=200)] = "",
    protocol: Annotated[str, Query(max_length=10)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Browse and search every provider, the most popular with the reader's region first;
    unknown filter values are ignored, not errors."""
    chosen_protocol = Protocol(protocol) if protocol in set(Protocol) else None
    chosen_status = Status(status) if status in set(Status) else None
    countries = sorted({r.country for r in db.records})
    chosen_country = country.upper() if country.upper() in countries else None
    found = db.search(q, protocol=chosen_protocol, country=chosen_country, status=chosen_status)
    # Most popular first for the reader's region; with a search, the best matches first.
    found = ordered(found, region_of(current_lang.get()), q, name_of=lambda r: loc(r.name))
    context = {
        "found": found,
        "search_text": {r.id: _search_text(r) for r in found},
        "total": len(db),
        "q": q,
        "protocol": chosen_protocol.value if chosen_protocol else "",
        "country": chosen_country or "",
        "status": chosen_status.value if chosen_status else "",
        "countries": countries,
        "protocols": list(Protocol),
        "statuses": list(Status),
    }
    return render(request, "providers.html", context)


@router.get("/providers/{provider_id}", response_class=HTMLResponse)
def provider_detail(request: Request, db: DBDep, provider_id: str) -> HTMLResponse:
    record = db.get(provider_id.lower())
    if record is None:
        context = {"provider_id": provider_id}
        return render(request, "provider_missing.html", context, status_code=404)
    groups = [
        (p, [s for s in record.servers if s.protocol is p])
        for p in PROTOCOL_ORDER
        if any(s.protocol is p for s in record.servers)
    ]
    return render(request, "provider.html", {"record": record, "groups": groups})
