"""Findings about reaching the server and the protocol it speaks."""

from __future__ import annotations

from app.i18n import N_
from app.probe.catalogue.entry import ERROR, WARNING, Entry
from app.probe.report import Code

_PORTS = N_(
    "Use the port meant for {protocol}: usually 993 or 143 for IMAP, 995 or 110 for POP3, "
    "465 or 587 for SMTP."
)

CONNECTION: dict[Code, Entry] = {
    Code.DNS_NOT_FOUND: Entry(
        ERROR,
        N_("The server name {host} does not exist in DNS."),
        N_(
            "Check the spelling of the server name. If it is right, the provider may have "
            "renamed its servers: look up the current settings."
        ),
    ),
    Code.DNS_TIMEOUT: Entry(
        ERROR,
        N_("Looking up {host} in DNS took too long."),
        N_(
            "Try again in a moment: the delay may be in the DNS server this service uses. If it "
            "keeps happening and {host} is on your own domain, check that your domain's DNS "
            "servers answer."
        ),
    ),
    Code.GUARD_REFUSED: Entry(
        ERROR,
        N_(
            "The tester may not connect to {host} port {port}: it is a private or reserved "
            "address, or not a mail port."
        ),
        N_(
            "Use the server's public name and a mail port (993, 995, 465, 587, 143, 110 or 25). "
            "Servers inside a private network cannot be tested from here."
        ),
    ),
    Code.CONNECTION_REFUSED: Entry(
        ERROR,
        N_("{host} refused the connection on port {port}: no service is listening there."),
        _PORTS,
    ),
    Code.CONNECTION_TIMEOUT: Entry(
        ERROR,
        N_("No answer from {host} on port {port}: a firewall probably drops connections to it."),
        N_(
            "Check the port number. If your mail app cannot connect to this port either, try "
            "another port for the same service (for example 465 instead of 587 or 25): many "
            "ISPs and company networks block port 25."
        ),
    ),
    Code.CONNECTION_FAILED: Entry(
        ERROR,
        N_("Could not connect to {host} on port {port}: there is no network route to it."),
        N_(
            "Check the server name. If it is right, the server may be down or reachable only "
            "from inside its own network; try again later."
        ),
    ),
    Code.SERVER_CLOSED: Entry(
        ERROR,
        N_("{host} closed the connection unexpectedly."),
        N_(
            "The server may be overloaded or limit connections from your network, or this is not "
            "the {protocol} port. Check the port and try again later."
        ),
    ),
    Code.SERVER_SILENT: Entry(
        ERROR,
        N_("{host} accepted the connection on port {port} but never answered."),
        N_(
            "This port may not run a {protocol} server, or a firewall or proxy holds the "
            "connection. Check the port and its security setting (SSL/TLS or STARTTLS)."
        ),
    ),
    Code.SERVER_SLOW: Entry(
        ERROR,
        N_("{host} answered too slowly; the test ran out of time at the “{step}” step."),
        N_(
            "Try again later. If it stays slow, the server or the network path to it is overloaded."
        ),
    ),
    Code.SERVER_OVERSIZED: Entry(
        ERROR,
        N_("{host} sent far more data than a {protocol} server would; the test stopped reading."),
        N_("This port probably does not run a {protocol} server. Check the server name and port."),
    ),
    Code.SERVER_REFUSED_SESSION: Entry(
        ERROR,
        N_("{host} refused to start a {protocol} session: “{reply}”"),
        N_(
            "The server may block your network or be out of service; its own reason is quoted "
            "above. Try again later or ask the provider."
        ),
    ),
    Code.PROTOCOL_VIOLATION: Entry(
        ERROR,
        N_("{host} broke the {protocol} protocol."),
        N_(
            "Check that this port runs {protocol}. If it does, the server is faulty: tell its "
            "operator."
        ),
    ),
    Code.WRONG_PROTOCOL: Entry(
        ERROR,
        N_("{host} port {port} speaks {speaks}, not {protocol}."),
        _PORTS,
    ),
    Code.PORT_PLAINTEXT: Entry(
        ERROR,
        N_("Port {port} does not start with SSL/TLS: the server greeted in plain text."),
        N_(
            "Set the security for this port to STARTTLS, or use the SSL/TLS port (993 for IMAP, "
            "995 for POP3, 465 for SMTP)."
        ),
    ),
    Code.PORT_NEEDS_TLS: Entry(
        ERROR,
        N_("Port {port} expects SSL/TLS from the first byte."),
        N_("Set the security for this port to SSL/TLS."),
    ),
    Code.SERVICE_BUSY: Entry(
        ERROR,
        N_(
            "This service is testing many accounts right now and could not start the test "
            "of {host} port {port} in time. Your settings are not in question."
        ),
        N_("Try again in a minute."),
    ),
    Code.SERVICE_OFFLINE: Entry(
        ERROR,
        N_(
            "We can't reach the mail servers right now, so we could not test your settings; "
            "they may be fine."
        ),
        N_("Try again later."),
    ),
    Code.CONNECTION_UNENCRYPTED: Entry(
        WARNING,
        N_(
            "The connection to {host} port {port} is not encrypted: your mail, and with most "
            "ways of logging in your password, would cross the network in clear text."
        ),
        N_("Use SSL/TLS (993 for IMAP, 995 for POP3, 465 for SMTP) or STARTTLS instead."),
    ),
    Code.SERVER_ERROR: Entry(
        ERROR,
        N_("{login}{host} answered the “{step}” step with a failure of its own: “{reply}”"),
        N_(
            "Nothing in your settings causes this, and only the server's operator can fix it: "
            "tell your provider. Until it is fixed, {protocol} through this server may fail."
        ),
    ),
    Code.PROBE_ERROR: Entry(
        ERROR,
        N_("The tester failed while testing {host} port {port}: a fault of ours."),
        N_("Your settings are not in question. Try again in a moment."),
    ),
}
