"""The tester's "Sign in with …": whether a provider offers it (:mod:`.offer`), the
authorization code flow with PKCE (:mod:`.flow`) and the sealed cookie that carries a
flow from the provider's redirect back to this browser (:mod:`.seal`)."""

from app.signin.flow import (
    CALLBACK,
    SignInError,
    SignInFailure,
    begin,
    check_return,
    exchange,
    redirect_uri,
)
from app.signin.offer import SignInOffer, offer_for
from app.signin.seal import COOKIE, FLOW_TTL, Flow, Sealer

__all__ = [
    "CALLBACK",
    "COOKIE",
    "FLOW_TTL",
    "Flow",
    "Sealer",
    "SignInError",
    "SignInFailure",
    "SignInOffer",
    "begin",
    "check_return",
    "exchange",
    "offer_for",
    "redirect_uri",
]
