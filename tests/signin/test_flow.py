"""The sign-in flow's own parts, without a provider: the PKCE challenge (RFC 7636's own
example), the sealed cookie, what comes back from the provider, and token endpoint
answers no real provider should give."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from app.signin import Flow, Sealer, SignInError, SignInFailure, check_return
from app.signin.flow import _challenge, _token

FLOW = Flow(nonce="n0nce", verifier="v" * 60, email="a@mail.test", provider_id="mail.test")


def test_the_challenge_is_rfc_7636s_example() -> None:
    # RFC 7636 Appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert _challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_sealed_flow_opens_only_unaltered_with_its_key() -> None:
    sealer = Sealer(b"k" * 32)
    sealed = sealer.seal(FLOW)
    assert sealer.open(sealed) == FLOW
    assert FLOW.verifier not in sealed  # encrypted, not just signed
    assert Sealer(b"other key" * 4).open(sealed) is None
    flipped = sealed[:40] + ("A" if sealed[40] != "A" else "B") + sealed[41:]
    assert sealer.open(flipped) is None
    for junk in ("", "x", "é" * 10, "A" * 5000):
        assert sealer.open(junk) is None


def test_a_sealed_flow_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = Sealer(b"k" * 32)
    sealed = sealer.seal(FLOW)
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    assert sealer.open(sealed) is None


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"code": "c"}, SignInFailure.STATE_MISMATCH),
        ({"code": "c", "state": "other"}, SignInFailure.STATE_MISMATCH),
        ({"error": "access_denied", "state": "n0nce"}, SignInFailure.DENIED),
        ({"error": "server_error", "state": "n0nce"}, SignInFailure.PROVIDER_ERROR),
        ({"state": "n0nce"}, SignInFailure.PROVIDER_ERROR),
    ],
)
def test_what_the_provider_sends_back(query: dict[str, str], reason: SignInFailure) -> None:
    with pytest.raises(SignInError) as caught:
        check_return(query, FLOW)
    assert caught.value.reason is reason
    assert check_return({"code": "c0de", "state": "n0nce"}, FLOW) == "c0de"
    with pytest.raises(SignInError) as missing:
        check_return({"code": "c0de", "state": "n0nce"}, None)
    assert missing.value.reason is SignInFailure.NO_FLOW


def test_a_provider_error_is_kept_short_and_harmless() -> None:
    with pytest.raises(SignInError) as caught:
        check_return({"error": "x\x1b[31m" + "y" * 500, "state": "n0nce"}, FLOW)
    assert "\x1b" not in caught.value.detail
    assert len(caught.value.detail) <= 210


def answer(status: int, body: object) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (answer(400, {"error": "invalid_grant"}), SignInFailure.CODE_REFUSED),
        (answer(401, {"error": "invalid_client"}), SignInFailure.CODE_REFUSED),
        (answer(500, b"<html>oops</html>"), SignInFailure.UNANSWERED),
        (answer(200, b"not json"), SignInFailure.UNANSWERED),
        (answer(200, {"token_type": "Bearer"}), SignInFailure.UNANSWERED),
        (answer(200, {"access_token": "t", "token_type": "mac"}), SignInFailure.UNANSWERED),
        (answer(200, {"access_token": "t\r\nx", "token_type": "Bearer"}), SignInFailure.UNANSWERED),
        (answer(200, {"access_token": "t", "token_type": "Bearer", "x": "y" * 70000}),
         SignInFailure.UNANSWERED),
    ],
)  # fmt: skip
def test_token_endpoint_answers_that_give_no_token(
    response: httpx.Response, reason: SignInFailure
) -> None:
    with pytest.raises(SignInError) as caught:
        _token(response)
    assert caught.value.reason is reason


def test_a_bearer_token_is_taken() -> None:
    token = _token(answer(200, {"access_token": "ya29.ok-token", "token_type": "bearer"}))
    assert token.get_secret_value() == "ya29.ok-token"
    assert "ya29" not in repr(token)
