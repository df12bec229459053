"""The live test's verdicts and its SVG timeline (app/web/routes/timeline.py), without servers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.models import Protocol, Security, ServerEndpoint
from app.probe.report import (
    AuthOutcome,
    AuthStatus,
    Code,
    ErrorInfo,
    Finding,
    NotAttempted,
    ProbeResult,
    Severity,
    StepResult,
)
from app.probe.steps import StepName
from app.web.http.i18n import translations
from app.web.routes.timeline import (
    LABEL_WIDTH,
    RIGHT_PAD,
    STEP_LABELS,
    WIDTH,
    Verdict,
    axis_step,
    diagnosis,
    step_label,
    timeline_svg,
    verdict,
    verdict_label,
)
from app.web.routes.timeline_rows import timeline_rows
from tests.probe.results import make

SVG = "{http://www.w3.org/2000/svg}"
IMAPS = ServerEndpoint(protocol=Protocol.IMAP, host="mail.test", port=993, security=Security.TLS)
SUBMISSION = ServerEndpoint(
    protocol=Protocol.SMTP, host="mail.test", port=587, security=Security.STARTTLS
)


def result(
    endpoint: ServerEndpoint = IMAPS,
    steps: tuple[tuple[str, float, bool], ...] = (("connect", 10, True), ("tls", 30, True)),
    auth: AuthStatus = AuthStatus.OK,
    findings: tuple[Severity, ...] = (),
    error: bool = False,
) -> ProbeResult:
    ok = auth is AuthStatus.OK and not error and all(s[2] for s in steps)
    return ProbeResult(
        endpoint=endpoint,
        username="alice@mail.test",
        ok=ok,
        duration_ms=sum(s[1] for s in steps),
        steps=tuple(StepResult(name=n, duration_ms=d, ok=o) for n, d, o in steps),
        auth=AuthOutcome(
            status=auth,
            not_attempted=NotAttempted.PLAINTEXT if auth is AuthStatus.NOT_ATTEMPTED else None,
        ),
        error=ErrorInfo(type="ProbeTimeout", message="too slow") if error else None,
        findings=tuple(
            Finding(code=Code.PROBE_ERROR, severity=s, message="m", fix="f") for s in findings
        ),
    )


@pytest.mark.parametrize(
    ("probe", "level", "label"),
    [
        (result(), Verdict.GREEN, "Works"),
        (result(findings=(Severity.INFO,)), Verdict.GREEN, "Works"),
        (result(findings=(Severity.WARNING,)), Verdict.AMBER, "Works, with warnings"),
        (
            result(steps=(("connect", 1, True), ("examine", 2, False))),
            Verdict.AMBER,
            "Works, with warnings",
        ),
        (
            result(auth=AuthStatus.NOT_ATTEMPTED, findings=(Severity.WARNING,)),
            Verdict.AMBER,
            "Connects, but the login was not tried",
        ),
        (result(auth=AuthStatus.FAILED, findings=(Severity.ERROR,)), Verdict.RED, "Failed"),
        (result(auth=AuthStatus.FAILED), Verdict.RED, "Failed"),
        (result(error=True, auth=AuthStatus.NOT_ATTEMPTED), Verdict.RED, "Failed"),
        (result(findings=(Severity.ERROR,)), Verdict.RED, "Failed"),
    ],
)
def test_verdict(probe: ProbeResult, level: Verdict, label: str) -> None:
    assert verdict(probe) is level
    assert verdict_label(probe) == label


@pytest.mark.parametrize(
    ("longest", "step"),
    [(0, 0.2), (1, 0.2), (4.9, 1), (10, 2), (230, 50), (250, 50), (251, 100), (1000, 200)],
)
def test_axis_step_is_1_2_or_5_and_covers_in_five(longest: float, step: float) -> None:
    assert axis_step(longest) == pytest.approx(step)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def steps(lane: ET.Element) -> list[ET.Element]:
    return [g for g in lane.findall(f"{SVG}g") if (g.get("class") or "").startswith("step ")]


def test_bars_follow_each_other_on_a_shared_axis() -> None:
    fast = result(steps=(("connect", 10, True), ("tls", 30, True), ("login", 60, True)))
    slow = result(SUBMISSION, steps=(("connect", 20, True), ("ehlo", 180, False)),
                  auth=AuthStatus.FAILED)  # fmt: skip
    root = parse(timeline_svg([fast, slow]))
    assert root.get("role") == "img"
    label = root.get("aria-label") or ""
    assert label.startswith("Timeline of the test: ")
    assert "IMAP 993 TLS: 100 ms" in label
    assert "SMTP 587 STARTTLS: 200 ms" in label
    lanes = root.findall(f"{SVG}g")[:2]
    assert [lane.get("class") for lane in lanes] == ["lane verdict-green", "lane verdict-red"]
    # The longest server (200 ms) fills the axis, which ends at 200 ms (step 50).
    scale = (WIDTH - LABEL_WIDTH - RIGHT_PAD) / 200
    names = [lane.findall(f"{SVG}g[@class='server']")[0] for lane in lanes]
    assert [(n.findtext(f"{SVG}title"), n.findtext(f"{SVG}text")) for n in names] == [
        ("imap mail.test:993", "IMAP 993 TLS"),
        ("smtp mail.test:587", "SMTP 587 STARTTLS"),
    ]
    rects = [[g.find(f"{SVG}rect") for g in steps(lane)] for lane in lanes]
    xs = [[float(r.get("x", "")) for r in row if r is not None] for row in rects]
    widths = [[float(r.get("width", "")) for r in row if r is not None] for row in rects]
    assert xs[0] == pytest.approx([LABEL_WIDTH, LABEL_WIDTH + 10 * scale, LABEL_WIDTH + 40 * scale],
                                  abs=0.05)  # fmt: skip
    assert widths[1] == pytest.approx([20 * scale, 180 * scale], abs=0.05)
    titles = [g.findtext(f"{SVG}title") for lane in lanes for g in steps(lane)]
    assert titles == ["connect — 10 ms", "TLS handshake — 30 ms", "login — 60 ms",
                      "connect — 20 ms", "EHLO — 180 ms"]  # fmt: skip
    classes = [g.get("class") for lane in lanes for g in steps(lane)]
    assert classes[-1] == "step failed"
    assert classes[:4] == ["step ok"] * 4
    # Wide bars are labelled in text; the totals follow each server's last bar.
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "EHLO 180 ms" in texts
    assert "100 ms" in texts
    assert "200 ms" in texts
    axis = root.findall(f"{SVG}g")[2]
    assert axis.get("class") == "axis"
    assert [t.text for t in axis.iter(f"{SVG}text")] == [
        "0", "50 ms", "100 ms", "150 ms", "200 ms",
    ]  # fmt: skip


def test_narrow_bars_keep_their_tooltip_but_no_label() -> None:
    probe = result(steps=(("connect", 0.2, True), ("capability", 99.8, True)))
    root = parse(timeline_svg([probe]))
    lane = root.find(f"{SVG}g")
    assert lane is not None
    first = steps(lane)[0]
    assert first.findtext(f"{SVG}title") == "connect — 0 ms"
    assert first.find(f"{SVG}text") is None
    rect = first.find(f"{SVG}rect")
    assert rect is not None
    assert float(rect.get("width", "")) >= 1.5


def test_texts_are_escaped_and_translated() -> None:
    probe = result(steps=(("<b>&", 50, True),))
    svg = timeline_svg([probe], translations("zh-Hans").gettext)
    root = parse(svg)
    assert "<b>" not in svg
    lane = root.find(f"{SVG}g")
    assert lane is not None
    assert steps(lane)[0].findtext(f"{SVG}title") == "<b>& — 50 毫秒"
    assert "毫秒" in (root.get("aria-label") or "")
    assert (root.get("aria-label") or "").startswith("测试时间线: IMAP 993 TLS: 50 毫秒")
    assert verdict_label(probe, translations("zh-Hant").gettext) == "正常"


def test_no_results_draws_only_the_axis() -> None:
    root = parse(timeline_svg([]))
    assert root.findall(f"{SVG}g")[0].get("class") == "axis"
    assert root.find(f".//{SVG}rect") is None


def _finding(code: Code, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code=code, severity=severity, message=f"{code} happened", fix=f"fix {code}")


def test_the_diagnosis_is_the_error_most_servers_share() -> None:
    wrong = _finding(Code.AUTH_FAILED)
    closed = _finding(Code.SERVER_CLOSED)
    warning = _finding(Code.CONNECTION_UNENCRYPTED, Severity.WARNING)
    results = [
        make(findings=(warning, closed)),
        make(findings=(wrong,)),
        make(findings=(wrong,)),
    ]
    assert diagnosis(results) == wrong
    assert diagnosis(results[:2]) == closed  # a tie: the first seen
    assert diagnosis([make(findings=(warning,))]) is None
    assert diagnosis([]) is None


def test_step_names_are_in_the_visitors_language() -> None:
    zh = translations("zh-Hant").gettext
    svg = timeline_svg([result()], zh)
    assert "<title>連線 — " in svg
    assert "<title>TLS 交握 — " in svg
    assert step_label("login", zh) == "登入"
    assert step_label("made-up", zh) == "made-up"
    assert set(STEP_LABELS) == set(StepName)  # every step has a name to show


def test_the_rows_put_each_step_on_the_shared_span_in_text() -> None:
    """The narrow-screen timeline: one item per server, one row per step with its name,
    its place on the slowest server's span (in percent) and its duration as text."""
    fast = result(steps=(("connect", 10, True), ("tls", 30, True), ("login", 60, True)))
    slow = result(SUBMISSION, steps=(("connect", 20, True), ("ehlo", 180, False)),
                  auth=AuthStatus.FAILED)  # fmt: skip
    root = parse(str(timeline_rows([fast, slow])))
    assert root.tag == "ol"
    assert root.get("aria-label") == "Timeline of the test"
    lanes = root.findall("li")
    assert [x.get("class") for x in lanes] == ["lane verdict-green", "lane verdict-red"]
    heads = [(x.findtext("p/span[@class='lane-label']"), x.findtext("p/span[@class='total']"))
             for x in lanes]  # fmt: skip
    assert heads == [("IMAP 993 TLS", "100 ms"), ("SMTP 587 STARTTLS", "200 ms")]
    rows = [
        (li.get("class"), li.findtext("span[@class='name']"), li.findtext("span[@class='ms']"))
        for li in root.iter("li")
        if (li.get("class") or "").startswith("step ")
    ]
    assert rows == [
        ("step ok", "connect", "10 ms"), ("step ok", "TLS handshake", "30 ms"),
        ("step ok", "login", "60 ms"), ("step ok", "connect", "20 ms"),
        ("step failed", "EHLO", "180 ms"),
    ]  # fmt: skip
    rects = [(r.get("x"), r.get("width")) for r in root.iter("rect")]
    assert rects == [("0", "5"), ("5", "15"), ("20", "30"), ("0", "10"), ("10", "90")]


def test_the_rows_show_a_zero_step_and_escape_and_translate() -> None:
    probe = result(steps=(("<b>&", 0, True), ("login", 0, False)))
    markup = str(timeline_rows([probe], translations("zh-Hant").gettext))
    assert "<b>" not in markup
    root = parse(markup)
    assert root.get("aria-label") == "測試時間軸"
    widths = [float(r.get("width", "")) for r in root.iter("rect")]
    assert widths == [0.5, 0.5]
    assert [s.text for s in root.iter("span") if s.get("class") == "ms"] == ["0 毫秒", "0 毫秒"]
    assert parse(str(timeline_rows([]))).findall("li") == []
