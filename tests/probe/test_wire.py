"""Pure protocol parsing and building, on transcripts recorded from real servers."""

from __future__ import annotations

import base64
import hashlib

import pytest

from app.probe import wire
from app.probe.report import REDACTED

# Recorded from Dovecot 2.3.19.1 (Debian 12) and aiosmtpd 1.4.6.
DOVECOT_POP3_GREETING = "+OK Dovecot (Debian) ready. <32cb.6.6b08fa43.V8KopSYKnfiJzetj1N0Ecg==@vm>"
DOVECOT_CAPA = [
    "CAPA",
    "TOP",
    "UIDL",
    "RESP-CODES",
    "PIPELINING",
    "AUTH-RESP-CODE",
    "STLS",
    "USER",
    "SASL PLAIN LOGIN CRAM-MD5",
]
DOVECOT_IMAP_GREETING = (
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS"
    " AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5] Dovecot (Debian) ready."
)
DOVECOT_EXAMINE = [
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* OK [PERMANENTFLAGS ()] Read-only mailbox.",
    "* 0 EXISTS",
    "* 0 RECENT",
    "* OK [UIDVALIDITY 1795750467] UIDs valid",
    "* OK [UIDNEXT 1] Predicted next UID",
    "a4 OK [READ-ONLY] Examine completed (0.011 + 0.000 + 0.010 secs).",
]
AIOSMTPD_EHLO = [
    "250-mail.test",
    "250-SIZE 33554432",
    "250-8BITMIME",
    "250-SMTPUTF8",
    "250-AUTH LOGIN PLAIN",
    "250 HELP",
]


class TestDecode:
    def test_utf8(self) -> None:
        assert wire.decode("535 Error: 请使用授权码登录".encode()) == "535 Error: 请使用授权码登录"

    def test_gbk_fallback(self) -> None:  # QQ Mail answers in GBK
        assert (
            wire.decode("535 Error: 请使用授权码登录".encode("gbk"))
            == "535 Error: 请使用授权码登录"
        )

    def test_undecodable_bytes_are_replaced(self) -> None:
        assert wire.decode(b"-ERR \xff\xff\xff") == "-ERR \ufffd\ufffd\ufffd"


class TestPop3:
    def test_greeting_and_apop_timestamp(self) -> None:
        status = wire.parse_pop3_status(DOVECOT_POP3_GREETING)
        assert status.ok
        assert wire.apop_timestamp(status.text) == "<32cb.6.6b08fa43.V8KopSYKnfiJzetj1N0Ecg==@vm>"

    def test_greeting_without_timestamp(self) -> None:
        assert wire.apop_timestamp("POP3 ready <not a timestamp>") is None

    @pytest.mark.parametrize(
        ("line", "kind", "text"),
        [
            ("-ERR [AUTH] Authentication failed.", "-ERR", "[AUTH] Authentication failed."),
            ("+OK", "+OK", ""),
            ("+ VXNlcm5hbWU6", "+", "VXNlcm5hbWU6"),
            ("+ ", "+", ""),
        ],
    )
    def test_status_kinds(self, line: str, kind: str, text: str) -> None:
        status = wire.parse_pop3_status(line)
        assert (status.kind, status.text) == (kind, text)

    @pytest.mark.parametrize("line", ["OK ready", "+OKAY", "* OK", ""])
    def test_garbage_status_is_refused(self, line: str) -> None:
        with pytest.raises(wire.WireError):
            wire.parse_pop3_status(line)

    def test_capa(self) -> None:
        capa = wire.parse_pop3_capa(DOVECOT_CAPA)
        assert capa.stls
        assert capa.user
        assert capa.sasl == ("PLAIN", "LOGIN", "CRAM-MD5")
        assert "PIPELINING" in capa.keywords

    def test_capa_after_tls_has_no_stls(self) -> None:
        capa = wire.parse_pop3_capa([line for line in DOVECOT_CAPA if line != "STLS"])
        assert not capa.stls

    def test_multiline_end_and_dot_stuffing(self) -> None:
        assert wire.pop3_multiline_done(".")
        assert not wire.pop3_multiline_done("..")
        assert wire.parse_pop3_capa(["..X-DOT"]).keywords == (".X-DOT",)

    def test_stat(self) -> None:
        assert wire.parse_pop3_stat("2 320") == (2, 320)
        with pytest.raises(wire.WireError):
            wire.parse_pop3_stat("lots")

    def test_apop_digest_matches_rfc_1939_example(self) -> None:
        # RFC 1939 section 7.
        digest = wire.apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf")
        assert digest == "c4c9334bac560ecc979e58001b3e22fb"


class TestSmtp:
    def test_ehlo(self) -> None:
        assert all(not wire.smtp_reply_done(line) for line in AIOSMTPD_EHLO[:-1])
        assert wire.smtp_reply_done(AIOSMTPD_EHLO[-1])
        info = wire.parse_ehlo(wire.parse_smtp_reply(AIOSMTPD_EHLO))
        assert info.auth == ("LOGIN", "PLAIN")
        assert not info.starttls
        assert info.features.size == 33554432
        assert info.features.eightbitmime
        assert info.features.smtputf8
        assert not info.features.pipelining

    def test_old_style_auth_equals_and_bare_size(self) -> None:
        reply = wire.parse_smtp_reply(
            [
                "250-smtp.example",
                "250-AUTH=LOGIN PLAIN",
                "250-SIZE",
                "250-PIPELINING",
                "250 STARTTLS",
            ]
        )
        info = wire.parse_ehlo(reply)
        assert info.auth == ("LOGIN", "PLAIN")
        assert info.features.size is None
        assert info.features.pipelining
        assert info.starttls

    def test_reply_text_and_code(self) -> None:
        reply = wire.parse_smtp_reply(["535 Error: authentication failed"])
        assert (reply.code, reply.text) == (535, "Error: authentication failed")
        assert wire.smtp_reply_done("250")

    @pytest.mark.parametrize(
        "lines", [["220-hello", "250 mixed codes"], ["hello"], ["620 no such class"], ["250_x"]]
    )
    def test_broken_replies(self, lines: list[str]) -> None:
        with pytest.raises(wire.WireError):
            wire.parse_smtp_reply(lines)


class TestImap:
    def test_greeting_with_capability_code(self) -> None:
        greeting = wire.parse_imap_response(DOVECOT_IMAP_GREETING)
        assert (greeting.tag, greeting.status) == ("*", "OK")
        assert greeting.text == "Dovecot (Debian) ready."
        caps = wire.imap_capabilities([greeting])
        assert caps is not None
        assert {"STARTTLS", "AUTH=PLAIN", "ID", "SASL-IR"} <= set(caps)

    def test_untagged_capability_and_tagged_ok(self) -> None:
        responses = [
            wire.parse_imap_response("* CAPABILITY IMAP4rev1 LOGINDISABLED STARTTLS"),
            wire.parse_imap_response("a1 OK Pre-login capabilities listed."),
        ]
        assert wire.imap_capabilities(responses) == ("IMAP4REV1", "LOGINDISABLED", "STARTTLS")
        assert responses[1].tag == "a1"
        assert responses[1].code is None

    def test_examine(self) -> None:
        responses = [wire.parse_imap_response(line) for line in DOVECOT_EXAMINE]
        assert wire.imap_exists(responses) == 0
        assert (responses[-1].status, responses[-1].code) == ("OK", "READ-ONLY")
        assert wire.imap_capabilities(responses) is None

    def test_netease_unsafe_login(self) -> None:
        response = wire.parse_imap_response(
            "a3 NO SELECT Unsafe Login. Please contact kefu@188.com for help"
        )
        assert response.status == "NO"
        assert "Unsafe Login" in response.text

    def test_continuation(self) -> None:
        assert wire.parse_imap_response("+ OK") == wire.ImapResponse("+", None, None, "OK")

    @pytest.mark.parametrize("line", ["a1 DONE", "", " OK", "* OK [CAPABILITY IMAP4rev1"])
    def test_broken_responses(self, line: str) -> None:
        with pytest.raises(wire.WireError):
            wire.parse_imap_response(line)

    def test_trailing_literal(self) -> None:
        assert wire.trailing_literal(b'* ID ("name" {5}') == 5
        assert wire.trailing_literal(b"* OK {5} in the middle") is None

    @pytest.mark.parametrize(
        ("value", "quoted"),
        [("user@example.com", '"user@example.com"'), ('a"b\\c', '"a\\"b\\\\c"'), ("", '""')],
    )
    def test_quote(self, value: str, quoted: str) -> None:
        assert wire.imap_quote(value) == quoted

    @pytest.mark.parametrize("value", ["wörd", "密码", "a\r\nb", "nul\0"])
    def test_values_needing_a_literal(self, value: str) -> None:
        assert wire.imap_quote(value) is None

    def test_login_quoted(self) -> None:
        (line,) = wire.imap_command("a3", "LOGIN", [("u@x.test", False), ('p"w d', True)])
        assert line.data == b'a3 LOGIN "u@x.test" "p\\"w d"'
        assert line.shown == f'a3 LOGIN "u@x.test" {REDACTED}'
        assert set(line.secrets) == {'p"w d', '"p\\"w d"'}

    def test_login_with_literal_password(self) -> None:
        password = 'pa"ss wörd密码'
        first, second = wire.imap_command("a3", "LOGIN", [("u@x.test", False), (password, True)])
        size = len(password.encode())
        assert first.data == b'a3 LOGIN "u@x.test" {%d}' % size
        assert first.shown == 'a3 LOGIN "u@x.test" {*}'  # not even the length shows
        assert second.data == password.encode()
        assert second.shown == REDACTED
        assert password not in first.shown + second.shown

    def test_literal_username_then_quoted_password(self) -> None:
        first, second = wire.imap_command("a1", "LOGIN", [("jörg@x.test", False), ("pw", True)])
        assert first.data == b"a1 LOGIN {12}"
        assert first.shown == "a1 LOGIN {12}"
        assert second.data == 'jörg@x.test "pw"'.encode()
        assert second.shown == f"jörg@x.test {REDACTED}"


class TestSasl:
    def test_plain_is_one_initial_response(self) -> None:
        sasl = wire.SaslClient("PLAIN", "alice@mail.test", "correct horse")
        # The payload Dovecot accepted in the recorded POP3 session.
        line = sasl.command("AUTH")
        assert line.data == b"AUTH PLAIN AGFsaWNlQG1haWwudGVzdABjb3JyZWN0IGhvcnNl"
        assert line.shown == f"AUTH PLAIN {REDACTED}"
        with pytest.raises(wire.WireError):
            sasl.respond("")

    def test_plain_without_initial_response_answers_the_empty_challenge(self) -> None:
        sasl = wire.SaslClient("PLAIN", "u", "pw")
        line = sasl.respond("")
        assert base64.b64decode(line.data) == b"\0u\0pw"
        assert line.shown == REDACTED
        assert line.secrets == (line.data.decode(),)

    def test_login_answers_username_then_password(self) -> None:
        sasl = wire.SaslClient("LOGIN", "u@x.test", "密码")
        assert sasl.command("AUTH").data == b"AUTH LOGIN"
        user = sasl.respond("VXNlcm5hbWU6")
        password = sasl.respond("UGFzc3dvcmQ6")
        assert base64.b64decode(user.data) == b"u@x.test"
        assert base64.b64decode(password.data).decode() == "密码"
        assert user.shown == password.shown == REDACTED
        with pytest.raises(wire.WireError):
            sasl.respond("")

    def test_an_initial_response_too_long_for_the_line_waits_for_the_challenge(self) -> None:
        sasl = wire.SaslClient("PLAIN", "u", "p" * 300)
        assert sasl.command("AUTH", max_line=255) == wire.ClientLine.plain("AUTH PLAIN")
        assert base64.b64decode(sasl.respond("").data) == b"\0u\0" + b"p" * 300
        short = wire.SaslClient("PLAIN", "u", "pw")
        assert short.command("AUTH", max_line=255).secrets  # sent with the command

    def test_no_initial_response_without_sasl_ir(self) -> None:
        sasl = wire.SaslClient("XOAUTH2", "u@x.test", "tok")
        assert sasl.command("a1 AUTHENTICATE", initial=False).data == b"a1 AUTHENTICATE XOAUTH2"
        assert sasl.respond("").shown == REDACTED

    def test_xoauth2_payload(self) -> None:
        # developers.google.com/workspace/gmail/imap/xoauth2-protocol: the example there.
        sasl = wire.SaslClient(
            "XOAUTH2", "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
        )
        line = sasl.command("AUTH")
        assert line.data.split()[-1] == (
            b"dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
            b"YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        )
        assert line.shown == f"AUTH XOAUTH2 {REDACTED}"

    def test_oauthbearer_payload_escapes_the_authzid(self) -> None:
        # RFC 7628 section 3.1 with RFC 5801 section 4's escapes for "=" and ",".
        sasl = wire.SaslClient("OAUTHBEARER", "a=b,c@x.test", "tok", host="imap.x.test", port=993)
        payload = base64.b64decode(sasl.command("AUTH").data.split()[-1])
        assert payload == (
            b"n,a=a=3Db=2Cc@x.test,\x01host=imap.x.test\x01port=993\x01auth=Bearer tok\x01\x01"
        )

    @pytest.mark.parametrize(("mechanism", "ending"), [("XOAUTH2", b""), ("OAUTHBEARER", b"AQ==")])
    def test_an_error_challenge_is_kept_and_answered(self, mechanism: str, ending: bytes) -> None:
        sasl = wire.SaslClient(mechanism, "u@x.test", "tok")
        sasl.command("AUTH")
        challenge = base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"mail"}')
        answer = sasl.respond(challenge.decode())
        assert answer.data == ending
        assert sasl.error_challenge == '{"status":"401","schemes":"bearer","scope":"mail"}'
        with pytest.raises(wire.WireError):
            sasl.respond(challenge.decode())

    @pytest.mark.parametrize(
        "token", ["", "Bearer tok", "tok\x01auth=x", '"tok"', "tok en", "tök", "x" * 8193]
    )
    def test_what_is_not_a_bearer_token_is_refused(self, token: str) -> None:
        with pytest.raises(ValueError, match=r"access token|control character") as caught:
            wire.SaslClient("XOAUTH2", "u@x.test", token)
        assert token not in str(caught.value) or not token

    def test_unknown_mechanism(self) -> None:
        with pytest.raises(ValueError, match="CRAM-MD5"):
            wire.SaslClient("CRAM-MD5", "u", "p")


def test_secret_line_shows_only_the_prefix() -> None:
    line = wire.ClientLine.secret("PASS ", "hunter2")
    assert (line.data, line.shown, line.secrets) == (b"PASS hunter2", "PASS ********", ("hunter2",))


def test_apop_digest_is_md5_of_timestamp_and_secret() -> None:
    expected = hashlib.md5(b"<1.2@h>pw").hexdigest()  # noqa: S324 - APOP is MD5 by definition
    assert wire.apop_digest("<1.2@h>", "pw") == expected
