"""Property tests for the parsers that read untrusted text: the wire protocols and addresses.

Each parser either answers or raises its own error (WireError, InvalidAddress), whatever
it is given; builders and parsers round-trip; and a secret never shows in a transcript.
"""

from __future__ import annotations

import base64
import contextlib
import string

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from app.errors import InvalidAddress
from app.hostnames import normalize_domain, to_unicode
from app.models import EmailAddress
from app.probe.report import REDACTED
from app.probe.wire import (
    SaslClient,
    WireError,
    apop_timestamp,
    decode,
    identify,
    imap_capabilities,
    imap_command,
    imap_exists,
    imap_quote,
    parse_ehlo,
    parse_imap_response,
    parse_pop3_capa,
    parse_pop3_stat,
    parse_pop3_status,
    parse_smtp_reply,
    pop3_multiline_done,
    smtp_reply_done,
    trailing_literal,
)

PARSERS = settings(max_examples=200, deadline=None, derandomize=True)

# Server lines: any text without line breaks (the session splits on CRLF).
LINE = st.text(st.characters(blacklist_characters="\r\n"), max_size=120)
CONTROLS = "".join(map(chr, [*range(0x20), 0x7F]))  # C0 and DEL: never in a command argument
# What a login name or password may be: any text UTF-8 can carry, without C0 or DEL.
CREDENTIAL = st.characters(codec="utf-8", exclude_characters=CONTROLS)
WORD = st.text(string.ascii_letters + string.digits + "-=+.", min_size=1, max_size=12)
ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"  # RFC 5322 atext
ATOM = st.text(ATEXT, min_size=1, max_size=10)


@PARSERS
@given(LINE)
def test_imap_lines_parse_or_raise_wire_error(line: str) -> None:
    try:
        response = parse_imap_response(line)
    except WireError:
        return
    assert response.tag
    capabilities = imap_capabilities([response])
    assert capabilities is None or all(c == c.upper() for c in capabilities)
    exists = imap_exists([response])
    assert exists is None or exists >= 0


@PARSERS
@given(
    st.sampled_from(["*", "a1", "A0042"]),
    st.sampled_from(["OK", "NO", "BAD", "BYE", "ok"]),
    st.none() | st.lists(WORD, min_size=1, max_size=5).map(" ".join),
    LINE.filter(lambda t: not t.startswith("[")),
)
def test_imap_status_responses_round_trip(
    tag: str, status: str, code: str | None, text: str
) -> None:
    line = f"{tag} {status} " + (f"[{code}] " if code else "") + text
    response = parse_imap_response(line)
    assert (response.tag, response.status, response.code) == (tag, status.upper(), code)
    assert response.text == (text.lstrip() if code else text)


@PARSERS
@given(st.lists(WORD, min_size=1, max_size=8))
def test_imap_capabilities_round_trip(words: list[str]) -> None:
    line = "* OK [CAPABILITY " + " ".join(words) + "] ready"
    assert imap_capabilities([parse_imap_response(line)]) == tuple(w.upper() for w in words)


@PARSERS
@given(st.binary(max_size=60), st.integers(min_value=0, max_value=999_999_999))
def test_trailing_literals(prefix: bytes, size: int) -> None:
    trailing_literal(prefix)
    assert trailing_literal(prefix + b" {%d}" % size) == size
    assert trailing_literal(prefix + b" {%d+}" % size) == size


def _unquote(quoted: str) -> str:
    assert quoted[0] == quoted[-1] == '"'
    out, escaped = [], False
    for c in quoted[1:-1]:
        if escaped or c != "\\":
            out.append(c)
            escaped = False
        else:
            escaped = True
    return "".join(out)


@PARSERS
@given(st.text(max_size=40))
@example('pa"ss w\\rd')
def test_imap_quoting_round_trips(value: str) -> None:
    quoted = imap_quote(value)
    if quoted is None:  # needs a literal: non-ASCII, NUL, CR or LF
        assert not value.isascii() or any(c in value for c in "\0\r\n")
        return
    assert not any(c in quoted for c in "\0\r\n")
    assert _unquote(quoted) == value


@PARSERS
@given(
    st.lists(
        st.tuples(st.text(CREDENTIAL, min_size=1, max_size=30), st.booleans()),
        min_size=1,
        max_size=3,
    )
)
@example([("leaky@mail.test", False), ('pa"ss wörd密码', True)])
def test_imap_commands_send_every_argument_and_show_no_secret(
    args: list[tuple[str, bool]],
) -> None:
    secrets = [v for v, secret in args if secret]
    shown_parts = [v for v, secret in args if not secret] + ["a1 LOGIN", REDACTED, "{*}"]
    for secret in secrets:
        assume(len(secret) >= 3 and not any(secret in part for part in shown_parts))
    lines = imap_command("a1", "LOGIN", args)
    sent = b"".join(line.data for line in lines)
    for value, _ in args:
        assert value.encode() in sent or (imap_quote(value) or "").encode() in sent
    for line in lines:
        for secret in secrets:
            assert secret not in line.shown


@PARSERS
@given(st.text(CREDENTIAL, max_size=20), st.sampled_from(CONTROLS), st.text(max_size=20))
def test_no_command_argument_carries_a_control_character(
    before: str, control: str, after: str
) -> None:
    value = before + control + after
    for args in ([(value, False)], [("user", False), (value, True)]):
        with pytest.raises(ValueError, match="control character"):
            imap_command("a1", "LOGIN", args)
    for mechanism in ("PLAIN", "LOGIN"):
        with pytest.raises(ValueError, match="control character"):
            SaslClient(mechanism, value, "password")
        with pytest.raises(ValueError, match="control character"):
            SaslClient(mechanism, "user", value)


@PARSERS
@given(LINE)
def test_pop3_lines_parse_or_raise_wire_error(line: str) -> None:
    try:
        status = parse_pop3_status(line)
    except WireError:
        return
    assert status.kind in ("+OK", "-ERR", "+")
    found = apop_timestamp(status.text)
    assert found is None or (found in line and found.startswith("<") and found.endswith(">"))
    pop3_multiline_done(line)


@PARSERS
@given(st.sampled_from(["+OK", "-ERR"]), LINE)
def test_pop3_status_round_trips(kind: str, text: str) -> None:
    status = parse_pop3_status(f"{kind} {text}")
    assert (status.kind, status.text) == (kind, text)


@PARSERS
@given(st.lists(LINE, max_size=10))
def test_pop3_capa_never_fails(lines: list[str]) -> None:
    capa = parse_pop3_capa(lines)
    assert all(k == k.upper() for k in capa.keywords)


@PARSERS
@given(LINE, st.integers(0, 10**12), st.integers(0, 10**12))
def test_pop3_stat(text: str, messages: int, octets: int) -> None:
    with contextlib.suppress(WireError):
        parse_pop3_stat(text)
    assert parse_pop3_stat(f"{messages} {octets}") == (messages, octets)


@PARSERS
@given(st.lists(LINE, max_size=6))
def test_smtp_replies_parse_or_raise_wire_error(lines: list[str]) -> None:
    for line in lines:
        smtp_reply_done(line)
    try:
        reply = parse_smtp_reply(lines)
    except WireError:
        return
    assert 200 <= reply.code <= 599
    parse_ehlo(reply)


@PARSERS
@given(st.integers(200, 599), st.lists(LINE, min_size=1, max_size=6))
def test_smtp_replies_round_trip(code: int, texts: list[str]) -> None:
    lines = [f"{code}-{t}" for t in texts[:-1]] + [f"{code} {texts[-1]}"]
    assert all(not smtp_reply_done(line) for line in lines[:-1])
    assert smtp_reply_done(lines[-1])
    reply = parse_smtp_reply(lines)
    assert (reply.code, reply.lines) == (code, tuple(texts))


@PARSERS
@given(st.lists(st.tuples(WORD, LINE), max_size=8))
def test_ehlo_keywords_round_trip(extensions: list[tuple[str, str]]) -> None:
    lines = ["250-mail.test"] + [f"250-{k} {p}" for k, p in extensions] + ["250 HELP"]
    info = parse_ehlo(parse_smtp_reply(lines))
    assert "HELP" in info.keywords
    for keyword, _ in extensions:
        assert keyword.upper() in info.keywords or keyword.upper().startswith("AUTH=")


@PARSERS
@given(
    st.sampled_from(["PLAIN", "LOGIN"]),
    st.text(CREDENTIAL, min_size=1, max_size=30),
    st.text(CREDENTIAL, min_size=3),
)
@example("PLAIN", "leaky@mail.test", 'pa"ss wörd密码')
def test_sasl_payloads_carry_the_credentials_and_show_none(
    mechanism: str, username: str, password: str
) -> None:
    assume(password not in REDACTED)
    client = SaslClient(mechanism, username, password)
    command = client.command("AUTH")
    assert command.shown in {f"AUTH {mechanism}", f"AUTH {mechanism} {REDACTED}"}
    if mechanism == "PLAIN":
        first = command.data.split()[-1]
        assert base64.b64decode(first).decode() == f"\0{username}\0{password}"
        lines = []
    else:
        assert command.data == b"AUTH LOGIN"
        lines = [client.respond("VXNlcm5hbWU6"), client.respond("UGFzc3dvcmQ6")]
        decoded = [base64.b64decode(line.data).decode() for line in lines]
        assert decoded == [username, password]
    try:
        client.respond("one too many")
    except WireError:
        pass
    else:
        raise AssertionError("a SASL client answered more challenges than it has answers")
    for line in lines:
        assert line.shown == REDACTED
        assert password not in line.shown


@PARSERS
@given(st.binary(max_size=200))
def test_server_bytes_always_decode_and_identify(raw: bytes) -> None:
    assert isinstance(decode(raw), str)
    assert identify(raw) in (None, "TLS", "HTTP", "SSH", "IMAP", "POP3", "SMTP")


@PARSERS
@given(st.text(max_size=60))
def test_utf8_text_decodes_back(text: str) -> None:
    assert decode(text.encode("utf-8")) == text


# Domains: ASCII and IDN labels.
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True) | st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=5
)
DOMAIN = st.lists(LABEL, min_size=2, max_size=4).map(".".join)


@PARSERS
@given(st.text(max_size=80))
@example("例子.中国")
@example("xn--fsqu00a.xn--fiqs8s.")
@example("xn--zz.com")
def test_domains_normalise_or_raise_invalid_address(text: str) -> None:
    try:
        domain = normalize_domain(text)
    except InvalidAddress:
        return
    assert domain.isascii()
    assert domain == domain.lower()
    assert normalize_domain(domain) == domain


@PARSERS
@given(DOMAIN)
def test_domains_round_trip_through_unicode(text: str) -> None:
    try:
        domain = normalize_domain(text)
    except InvalidAddress:
        return
    assert normalize_domain(to_unicode(domain)) == domain
    assert normalize_domain(text.upper() if text.isascii() else text) == domain


@PARSERS
@given(st.text(max_size=80) | st.builds(lambda a, d: f"{a}@{d}", st.text(max_size=20), DOMAIN))
@example('"quoted local"@example.com')
@example("ü@例子.中国")
def test_addresses_parse_or_raise_invalid_address(text: str) -> None:
    try:
        address = EmailAddress.parse(text)
    except InvalidAddress:
        return
    assert EmailAddress.parse(address.address) == address
    assert address.domain == normalize_domain(address.domain_unicode)


@PARSERS
@given(ATOM, DOMAIN)
def test_plain_addresses_keep_their_local_part(local: str, domain: str) -> None:
    try:
        normalised = normalize_domain(domain)
    except InvalidAddress:
        return
    address = EmailAddress.parse(f"{local}@{domain}")
    assert (address.local, address.domain) == (local, normalised)
