"""The tester's "Sign in with …": ``POST /signin`` sends the browser to the provider with
a PKCE challenge and seals the flow into a cookie; ``GET /signin/callback`` checks what
comes back, exchanges the code at the provider file's token endpoint, runs the test with
the token and shows the report. The token lives in this request only."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.i18n import N_
from app.livetest import CredentialKind, Mechanism
from app.signin import (
    CALLBACK,
    COOKIE,
    FLOW_TTL,
    SignInError,
    SignInFailure,
    begin,
    check_return,
    exchange,
    offer_for,
)
from app.web.http.deps import StateDep
from app.web.http.hangup import admitted
from app.web.http.i18n import current_lang, translations
from app.web.http.security import request_is_https, require_csrf
from app.web.http.throttle import TestLimits
from app.web.routes.live import NO_STORE
from app.web.routes.live_page import UNUSABLE, live_test_context, unusable_field
from app.web.routes.signin_offer import BRANDS, record_for, sign_in_context
from app.web.routes.tester_run import TestRun, render_tester

router = APIRouter(include_in_schema=False)

NOT_OFFERED = N_("Signing in is not available for this address: test it with its password.")
NOT_SET_UP = N_(
    "Signing in with %(brand)s is not set up on this service yet. Test with a password or "
    "app password, if the provider allows one."
)
FAILURES = {
    SignInFailure.NO_FLOW: N_(
        "This sign-in has expired or was started in another browser, so nothing was tested. "
        "Sign in again."
    ),
    SignInFailure.STATE_MISMATCH: N_(
        "This sign-in did not start in this browser, so it was stopped and nothing was "
        "tested. Sign in again from this page."
    ),
    SignInFailure.DENIED: N_(
        "You did not allow access, so nothing was tested. To test, sign in again and allow "
        "it: the token is used for this one test and then forgotten."
    ),
    SignInFailure.PROVIDER_ERROR: N_(
        "%(brand)s did not complete the sign-in (%(detail)s), so nothing was tested. Sign in again."
    ),
    SignInFailure.CODE_REFUSED: N_(
        "%(brand)s did not accept the sign-in code (%(detail)s): it may have been used "
        "already or have expired. Sign in again."
    ),
    SignInFailure.UNANSWERED: N_(
        "%(brand)s's sign-in service did not give a usable answer (%(detail)s). This is not "
        "your mistake: try again in a minute."
    ),
}


@router.post("/signin", response_class=HTMLResponse, dependencies=[Depends(require_csrf)])
async def start_sign_in(
    request: Request,
    state: StateDep,
    email: Annotated[str, Form(max_length=320)],
    client: Annotated[str, Form(max_length=40)] = "",
    username: Annotated[str, Form(max_length=320)] = "",
    servers: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Send the browser to the provider's sign-in page, or say why it cannot go."""
    gettext = translations(current_lang.get()).gettext
    typed = partial(live_test_context, email=email, client=client, username=username)
    unusable = unusable_field(email, username, "")
    if unusable is not None:  # it would become part of a mail command: never sent anywhere
        context = typed(
            error=gettext(UNUSABLE[unusable]),
            email="" if unusable == "email" else email,  # never shown back as typed
            username="" if unusable == "username" else username,
        )
        return render_tester(request, context, 422)
    record = await record_for(state, email)
    offer = offer_for(record, state.settings)
    if offer is None or record is None:
        return render_tester(request, typed(servers=servers, error=gettext(NOT_OFFERED)), 400)
    if not offer.ready or state.settings.public_url is None:
        message = gettext(NOT_SET_UP) % {"brand": gettext(BRANDS[offer.client])}
        context = typed(servers=servers, error=message, sign_in=sign_in_context(offer))
        return render_tester(request, context, 503)
    registration = state.settings.oauth.registration(offer.client.value)
    assert registration is not None  # offer.ready
    url, flow = begin(
        record,
        registration,
        state.settings.public_url,
        email=email.strip(),
        client=client,
        username=username.strip(),
        servers=servers,
    )
    response = RedirectResponse(url, status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        state.sealer.seal(flow),
        max_age=FLOW_TTL,
        path=CALLBACK,
        secure=request_is_https(request.scope, state.settings),
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back, a top-level GET; Strict is not
    )
    return response


@router.get(CALLBACK, response_class=HTMLResponse)
async def finish_sign_in(request: Request, state: StateDep, limits: TestLimits) -> Response:
    """Check the provider's answer against this browser's flow, get the token, test."""
    deadline = admitted(state.settings)
    gettext = translations(current_lang.get()).gettext
    flow = state.sealer.open(request.cookies.get(COOKIE, ""))
    record = state.db.get(flow.provider_id) if flow is not None else None
    offer = offer_for(record, state.settings)
    brand = gettext(BRANDS[offer.client]) if offer is not None else ""
    typed = partial(
        live_test_context,
        email=flow.email if flow else "",
        client=flow.client if flow else "",
        username=flow.username if flow else "",
        servers=flow.servers if flow else "",
        sign_in=sign_in_context(offer),
        posted=True,
    )
    try:
        code = check_return(request.query_params, flow)
        registration = state.settings.oauth.registration(offer.client.value) if offer else None
        if flow is None or offer is None or registration is None or not state.settings.public_url:
            raise SignInError(SignInFailure.NO_FLOW)  # the operator's set-up changed meanwhile
        token = await exchange(offer.oauth, registration, state.settings.public_url, code, flow)
    except SignInError as exc:
        message = gettext(FAILURES[exc.reason]) % {"brand": brand, "detail": exc.detail}
        response: Response = render_tester(request, typed(error=message), 400)
    else:
        run = TestRun(state, limits, deadline, flow.email, flow.username, flow.servers)
        prefer = Mechanism(offer.oauth.mechanism)  # the provider's documented mechanism
        response = await run.show(request, typed, token, CredentialKind.OAUTH2, prefer)
        del token  # the test is over: nothing keeps it
    response.delete_cookie(COOKIE, path=CALLBACK)
    return response
