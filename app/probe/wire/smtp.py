"""SMTP replies and EHLO extensions (RFC 5321, RFC 4954)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.probe.report import SmtpFeatures
from app.probe.wire.base import WireError


@dataclass(frozen=True)
class SmtpReply:
    code: int
    lines: tuple[str, ...]  # the text after "250-" / "250 "

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def smtp_reply_done(line: str) -> bool:
    """RFC 5321 section 4.2.1: ``250-…`` continues a reply, ``250 …`` (or ``250``) ends it."""
    return len(line) < 4 or line[3] != "-"


def parse_smtp_reply(lines: Sequence[str]) -> SmtpReply:
    """One complete reply. aiosmtpd 1.4.6 answering EHLO::

    250-mail.test
    250-SIZE 33554432
    250-8BITMIME
    250-SMTPUTF8
    250-STARTTLS
    250 HELP
    """
    if not lines:
        raise WireError("empty SMTP reply")
    code = lines[0][:3]
    # RFC 5321 section 4.2: three digits, the first 2 to 5, the same on every line.
    if not (code.isdigit() and code[0] in "2345"):
        raise WireError(f"not an SMTP reply: {lines[0][:80]!r}")
    for line in lines:
        if line[:3] != code or (len(line) > 3 and line[3] not in " -"):
            raise WireError(f"broken multi-line reply at {line[:80]!r}")
    return SmtpReply(int(code), tuple(line[4:] for line in lines))


@dataclass(frozen=True)
class EhloInfo:
    keywords: dict[str, str]  # upper-case keyword -> its parameters
    auth: tuple[str, ...]
    features: SmtpFeatures

    @property
    def starttls(self) -> bool:
        return "STARTTLS" in self.keywords


def parse_ehlo(reply: SmtpReply) -> EhloInfo:
    """The extensions in a 250 EHLO reply; the first line is the server's greeting name."""
    keywords: dict[str, str] = {}
    auth: list[str] = []
    for line in reply.lines[1:]:
        keyword, _, params = line.partition(" ")
        if "=" in keyword and keyword.upper().startswith("AUTH="):  # pre-RFC 4954 "AUTH=LOGIN"
            keyword, params = "AUTH", keyword[5:] + " " + params
        keyword = keyword.upper()
        keywords[keyword] = params.strip()
        if keyword == "AUTH":  # RFC 4954 section 3
            auth.extend(m.upper() for m in params.split() if m.upper() not in auth)
    size = keywords.get("SIZE", "")
    features = SmtpFeatures(
        size=int(size) if size.isdigit() else None,  # RFC 1870: "SIZE" alone means no limit
        eightbitmime="8BITMIME" in keywords,
        smtputf8="SMTPUTF8" in keywords,
        pipelining="PIPELINING" in keywords,
    )
    return EhloInfo(keywords, tuple(auth), features)
