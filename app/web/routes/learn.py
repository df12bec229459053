"""The ``/learn`` page: how POP3, IMAP and SMTP work, and where the product shows each part.

It covers what a widely copied Chinese Q&A article on POP3/SMTP/IMAP explains,
and corrects it where it is wrong. The text is in ``templates/learn.html``
(translated through the catalogs); the protocol facts that are lists are here.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.i18n import N_
from app.web.http.templating import render

router = APIRouter(include_in_schema=False)

AUTHORIZATION, TRANSACTION, UPDATE = "AUTHORIZATION", "TRANSACTION", "UPDATE"


@dataclass(frozen=True)
class Command:
    """A POP3 command (RFC 1939): its arguments, the state it is used in, what it does."""

    name: str
    args: str
    state: str
    summary: str


POP3_COMMANDS = (
    Command("USER", "name", AUTHORIZATION, N_("Names the mailbox; PASS must follow.")),
    Command(
        "PASS",
        "password",
        AUTHORIZATION,
        N_("Sends the password (or authorization code) in clear text, so only over TLS."),
    ),
    Command(
        "APOP",
        "name digest",
        AUTHORIZATION,
        N_(
            "Signs in with an MD5 digest of the greeting's timestamp and a shared secret "
            "instead of USER and PASS. Optional, and MD5 is no longer considered safe."
        ),
    ),
    Command("STAT", "", TRANSACTION, N_("Number of messages and their total size in octets.")),
    Command(
        "LIST",
        "[msg]",
        TRANSACTION,
        N_("Size of each message, or of the one given, by message number."),
    ),
    Command(
        "UIDL",
        "[msg]",
        TRANSACTION,
        N_(
            "A unique ID for each message that stays the same in later sessions, unlike the "
            "message numbers; clients use it to remember what they already downloaded."
        ),
    ),
    Command("RETR", "msg", TRANSACTION, N_("Sends the whole message.")),
    Command(
        "TOP",
        "msg n",
        TRANSACTION,
        N_("Sends the headers and the first n lines of the body (optional in RFC 1939)."),
    ),
    Command(
        "DELE",
        "msg",
        TRANSACTION,
        N_("Marks a message for deletion; it is removed only in the UPDATE state."),
    ),
    Command("RSET", "", TRANSACTION, N_("Unmarks every message marked by DELE.")),
    Command("NOOP", "", TRANSACTION, N_("Does nothing; the server answers +OK.")),
    Command(
        "QUIT",
        "",
        f"{AUTHORIZATION}, {TRANSACTION}",
        N_(
            "Ends the session. From TRANSACTION it enters UPDATE: marked messages are deleted, "
            "then the connection closes."
        ),
    ),
)

# The TRANSACTION commands, drawn in the diagram as a loop on that state.
TRANSACTION_COMMANDS = ("STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET", "NOOP")


@dataclass(frozen=True)
class Port:
    """A well-known mail port and what it is for."""

    protocol: str
    number: int
    security: str
    use: str


PORTS = (
    Port("SMTP", 465, N_("SSL/TLS"), N_("Sending from a mail app; preferred by RFC 8314.")),
    Port("SMTP", 587, N_("STARTTLS"), N_("Sending from a mail app (submission, RFC 6409).")),
    Port(
        "SMTP",
        25,
        N_("STARTTLS when both servers offer it"),
        N_("Relay between mail servers; home networks often block it. Not for mail apps."),
    ),
    Port("IMAP", 993, N_("SSL/TLS"), N_("Reading mail; preferred by RFC 8314.")),
    Port("IMAP", 143, N_("STARTTLS"), N_("Reading mail, upgraded to TLS after connecting.")),
    Port("POP3", 995, N_("SSL/TLS"), N_("Downloading mail; preferred by RFC 8314.")),
    Port("POP3", 110, N_("STARTTLS"), N_("Downloading mail, upgraded with the STLS command.")),
)


@router.get("/learn", response_class=HTMLResponse)
def learn(request: Request) -> HTMLResponse:
    """How the mail protocols work, with links to where the product shows them."""
    context = {
        "commands": POP3_COMMANDS,
        "transaction_commands": TRANSACTION_COMMANDS,
        "quit": "QUIT",
        "ports": PORTS,
        "states": (AUTHORIZATION, TRANSACTION, UPDATE),
    }
    return render(request, "learn.html", context)
