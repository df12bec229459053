"""For the record: what logging in with an OAuth2 token costs next to a password.

Dovecot 2.3 with its oauth2 passdb (``tests/oauthservers.py``; it asks a local token
introspection endpoint on every token login) on loopback, tested through
:func:`app.livetest.run_plan` over implicit TLS: IMAP, POP3 and submission. Each is
tested REPEATS times with the password (SASL PLAIN), with a 26-character token and with
a 2,019-character one, the size of a Microsoft token, which no longer fits a POP3 or
SMTP command line and so follows the server's empty challenge (one more round trip).
Figures: median wall time per probe, and the token's time as a ratio of the password's,
measured in the same run.
Needs root (Dovecot's mail processes switch users).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import cli

REPEATS = 15
LONG_TOKEN = "eyJ0eXAiOiJKV1QifQ." + "bG9uZy10b2tlbi1ib2R5" * 100
PROTOCOLS = (("imaps", "imap"), ("pop3s", "pop3"), ("submissions", "smtp"))


async def measure(ports: dict[str, int], ca: Path, repeats: int) -> dict[str, dict[str, float]]:
    from pydantic import SecretStr

    from app.livetest import CredentialKind, Plan, Target, run_plan
    from app.models import EmailAddress, Protocol, Security, ServerEndpoint
    from app.settings import Settings
    from tests.oauthservers import TOKEN_FOR
    from tests.probe.conftest import FakeResolver
    from tests.realservers import PROBE_LOOPBACK
    from tests.servers import USERS

    user = "alice@mail.test"
    settings = Settings(**PROBE_LOOPBACK, probe_ca_file=ca, rate_limits=False)  # type: ignore[arg-type]
    resolver = FakeResolver({"mail.test": ["127.0.0.1"]})
    logins = {
        "password": (USERS[user], CredentialKind.PASSWORD),
        "short token": (TOKEN_FOR[user], CredentialKind.OAUTH2),
        "2 KB token": (LONG_TOKEN, CredentialKind.OAUTH2),
    }
    medians: dict[str, dict[str, float]] = {}
    for listener, protocol in PROTOCOLS:
        endpoint = ServerEndpoint(
            protocol=Protocol(protocol), host="mail.test", port=ports[listener],
            security=Security.TLS,
        )  # fmt: skip
        plan = Plan(EmailAddress.parse(user), [Target(endpoint, user)], None)
        medians[listener] = {}
        for name, (secret, kind) in logins.items():
            times = []
            for _ in range(repeats):
                report = await run_plan(
                    plan, SecretStr(secret), settings, resolver, credential=kind
                )
                (result,) = report.results
                if not result.ok:
                    raise RuntimeError(f"{listener} {name}: {result.findings}")
                times.append(result.duration_ms)
            medians[listener][name] = statistics.median(times)
    return medians


def main() -> None:
    args, rows = cli(__doc__)
    from tests.oauthservers import OAUTH_TOKENS, run_dovecot_oauth
    from tests.servers import make_certificates, run_relay

    repeats = 5 if args.quick else REPEATS
    tokens = {**OAUTH_TOKENS, LONG_TOKEN: "alice@mail.test"}
    with tempfile.TemporaryDirectory() as folder:
        certs = make_certificates(Path(folder))
        with run_relay() as relay, run_dovecot_oauth(certs, relay, tokens) as dovecot:
            medians = asyncio.run(measure(dovecot.ports, certs.ca_file, repeats))
    for listener, times in medians.items():
        base = times["password"]
        for name in ("short token", "2 KB token"):
            rows.add(
                f"{listener}: {name} vs password, median of {repeats}",
                "for the record",
                f"{times[name]:.1f} ms vs {base:.1f} ms ({times[name] / base:.2f}x)",
                "INFO",
            )


if __name__ == "__main__":
    main()
