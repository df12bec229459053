"""A live test at a glance: its headline, each server's verdict, and its steps as bars on
one time axis. The verdicts and the outcome are :mod:`app.livetest`'s.

:func:`timeline_svg` draws the SVG of the no-JS report; ``static/timeline.js`` draws
the same picture (same sizes, classes and texts) while the test streams, so keep
the two in step. Steps run one after another, so each bar starts where the
previous one of its server ended; every server starts at 0, since all probes
start together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.documents.client_texts import CLIENT_TEXTS
from app.i18n import N_
from app.livetest import (
    AuthStatus,
    Finding,
    Outcome,
    ProbeResult,
    Severity,
    StepName,
    Verdict,
    outcome,
    untested,
    verdict,
)
from app.models import Protocol, Security

Gettext = Callable[[str], str]

# Geometry, in SVG user units (the picture scales to its container).
WIDTH = 720
LABEL_WIDTH = 150  # the server names, right-aligned before the bars
RIGHT_PAD = 64  # room for each server's total after its last bar
TOP = 6
ROW = 26
BAR = 16
AXIS = 26
TICKS = 5  # at most this many intervals on the axis
MIN_BAR = 1.5  # a 0 ms step still shows

SECURITY_WORDS = {Security.TLS: "TLS", Security.STARTTLS: "STARTTLS", Security.NONE: "PLAIN"}


VERDICT_LABELS = {
    Verdict.GREEN: N_("Works"),
    Verdict.AMBER: N_("Works, with warnings"),
    Verdict.RED: N_("Failed"),
}
NOT_TRIED_LABEL = N_("Connects, but the login was not tried")
# A server the service could not test (offline, busy): nothing about the server is known.
UNTESTED_LABEL = N_("Not tested")
# The headline of a report, one per outcome of the test.
HEADLINES = {
    Outcome.ALL_GOOD: N_("Everything works"),
    Outcome.SOME_FAILED: N_("Some servers need attention"),
    Outcome.ALL_FAILED: N_("Every server failed the test"),
    Outcome.NOT_TESTED: N_("We could not test your settings"),
}
# An all-good test for a known mail app: what works, then the app's last step.
BOTH = N_("Receiving and sending work. %(finish)s")
RECEIVING = N_("Receiving works. %(finish)s")
SENDING = N_("Sending works. %(finish)s")
MS = N_("%(ms)s ms")
TIMELINE_LABEL = N_("Timeline of the test")


def verdict_label(result: ProbeResult, gettext: Gettext = str) -> str:
    level = verdict(result)
    if untested(result):
        return gettext(UNTESTED_LABEL)
    if level is Verdict.AMBER and result.auth.status is AuthStatus.NOT_ATTEMPTED:
        return gettext(NOT_TRIED_LABEL)
    return gettext(VERDICT_LABELS[level])


def headline(
    results: Sequence[ProbeResult], gettext: Gettext = str, client: str | None = None
) -> tuple[Outcome, str]:
    """The test's outcome and its headline; when every server works and ``client`` is a
    known mail app, the headline says what works and what to do next in that app."""
    found = outcome(results)
    texts = CLIENT_TEXTS.get(client or "")
    if found is not Outcome.ALL_GOOD or texts is None or not texts.finish:
        return found, gettext(HEADLINES[found])
    sends = {r.endpoint.protocol is Protocol.SMTP for r in results}
    works = BOTH if len(sends) == 2 else SENDING if True in sends else RECEIVING
    return found, gettext(works) % {"finish": gettext(texts.finish)}


# Each step as the report names it, in the visitor's language (StepName's values).
STEP_LABELS: dict[str, str] = {
    StepName.CONNECT: N_("connect"),
    StepName.TLS: N_("TLS handshake"),
    StepName.GREETING: N_("greeting"),
    StepName.STARTTLS: N_("STARTTLS"),
    StepName.CAPABILITY: N_("capabilities"),
    StepName.CAPA: N_("capabilities"),
    StepName.EHLO: N_("EHLO"),
    StepName.EHLO_TLS: N_("EHLO after STARTTLS"),
    StepName.LOGIN: N_("login"),
    StepName.ID: N_("client ID"),
    StepName.EXAMINE: N_("open the inbox"),
    StepName.STAT: N_("count the messages"),
    StepName.LOGOUT: N_("log out"),
    StepName.QUIT: N_("log out"),
    StepName.PEEK: N_("second look"),
    StepName.PEEK_TLS: N_("second look over TLS"),
    StepName.CAPABILITIES: N_("capabilities"),
    StepName.QUEUE: N_("waiting for a free slot"),
}


def step_label(name: str, gettext: Gettext = str) -> str:
    """A step's name in the visitor's language; an unknown name as it is."""
    label = STEP_LABELS.get(name)
    return gettext(label) if label else name


def diagnosis(results: Sequence[ProbeResult]) -> Finding | None:
    """The one thing to fix first: the error most of the failing servers share (the
    first seen on a tie), or None when no server has an error."""
    errors = [f for r in results for f in r.findings if f.severity is Severity.ERROR]
    if not errors:
        return None
    codes = [f.code for f in errors]
    top = max(dict.fromkeys(codes), key=codes.count)
    return next(f for f in errors if f.code is top)


@dataclass(frozen=True)
class Bar:
    name: str
    start_ms: float
    duration_ms: float
    ok: bool


@dataclass(frozen=True)
class Lane:
    label: str  # "IMAP 993 TLS"
    where: str  # "imap mail.test:993"
    verdict: Verdict
    bars: tuple[Bar, ...]

    @property
    def end_ms(self) -> float:
        return self.bars[-1].start_ms + self.bars[-1].duration_ms if self.bars else 0.0


def lane(result: ProbeResult, gettext: Gettext = str) -> Lane:
    """One server's row: its steps laid end to end."""
    bars: list[Bar] = []
    start = 0.0
    for step in result.steps:
        bars.append(Bar(step_label(step.name, gettext), start, step.duration_ms, step.ok))
        start += step.duration_ms
    e = result.endpoint
    return Lane(
        label=f"{e.protocol.value.upper()} {e.port} {SECURITY_WORDS[e.security]}",
        where=f"{e.protocol.value} {e.host}:{e.port}",
        verdict=verdict(result),
        bars=tuple(bars),
    )


def axis_step(longest_ms: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ ms that covers ``longest_ms`` in at most TICKS steps."""
    target = max(longest_ms, 1.0) / TICKS
    power = 10.0 ** math.floor(math.log10(target))
    for factor in (1, 2, 5, 10):
        if factor * power >= target:
            return factor * power
    raise AssertionError("unreachable: 10 × 10ⁿ ≥ target")  # pragma: no cover


def text_width(text: str, size: float) -> float:
    """A rough width: CJK characters are square, others about 0.6 em."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def ms_text(value: float, gettext: Gettext = str) -> str:
    """A duration as the report words it: whole milliseconds, e.g. "12 ms", "12 毫秒"."""
    return gettext(MS) % {"ms": str(round(value))}


def timeline_svg(results: Sequence[ProbeResult], gettext: Gettext = str) -> Markup:
    """The SVG timeline of a report's results, with a tooltip (``<title>``) per bar."""
    lanes = [lane(r, gettext) for r in results]
    step = axis_step(max((x.end_ms for x in lanes), default=0.0))
    span = step * max(1, math.ceil(max((x.end_ms for x in lanes), default=0.0) / step))
    scale = (WIDTH - LABEL_WIDTH - RIGHT_PAD) / span
    height = TOP + ROW * len(lanes) + AXIS
    summary = "; ".join(f"{x.label}: {ms_text(x.end_ms, gettext)}" for x in lanes)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} '
        f'{height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(gettext(TIMELINE_LABEL))}: {escape(summary)}">'
    ]
    for index, row in enumerate(lanes):
        y = TOP + ROW * index
        mid = y + ROW / 2 + 4
        out.append(f'<g class="lane verdict-{row.verdict.value}">')
        out.append(
            f'<g class="server"><title>{escape(row.where)}</title>'
            f'<text class="lane-label" x="{LABEL_WIDTH - 8}" y="{_num(mid)}" text-anchor="end">'
            f"{escape(row.label)}</text></g>"
        )
        for bar in row.bars:
            out.append(_bar(bar, y, scale, gettext))
        end = LABEL_WIDTH + row.end_ms * scale + 4
        out.append(
            f'<text class="total" x="{_num(end)}" y="{_num(mid)}">'
            f"{escape(ms_text(row.end_ms, gettext))}</text></g>"
        )
    out.append(_axis(TOP + ROW * len(lanes), step, span, scale, gettext))
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text above is escaped


def _bar(bar: Bar, y: float, scale: float, gettext: Gettext) -> str:
    x = LABEL_WIDTH + bar.start_ms * scale
    width = max(bar.duration_ms * scale, MIN_BAR)
    duration = ms_text(bar.duration_ms, gettext)
    status = "ok" if bar.ok else "failed"
    parts = [
        f'<g class="step {status}"><title>{escape(bar.name)} — {escape(duration)}</title>'
        f'<rect class="bar" x="{_num(x)}" y="{_num(y + (ROW - BAR) / 2)}" '
        f'width="{_num(width)}" height="{BAR}" rx="2"></rect>'
    ]
    for label in (f"{bar.name} {duration}", bar.name):
        if text_width(label, 12) + 6 <= width:
            parts.append(
                f'<text class="bar-label" x="{_num(x + 3)}" y="{_num(y + ROW / 2 + 4)}">'
                f"{escape(label)}</text>"
            )
            break
    parts.append("</g>")
    return "".join(parts)


def _axis(y: float, step: float, span: float, scale: float, gettext: Gettext) -> str:
    right = LABEL_WIDTH + span * scale
    parts = [
        f'<g class="axis"><line x1="{LABEL_WIDTH}" y1="{_num(y + 2)}" x2="{_num(right)}" '
        f'y2="{_num(y + 2)}"></line>'
    ]
    ticks = round(span / step)
    for n in range(ticks + 1):
        x = LABEL_WIDTH + n * step * scale
        label = "0" if n == 0 else gettext(MS) % {"ms": _num(n * step)}
        anchor = "start" if n == 0 else "end" if n == ticks else "middle"
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(y + 2)}" x2="{_num(x)}" y2="{_num(y + 6)}"></line>'
            f'<text x="{_num(x)}" y="{_num(y + 18)}" text-anchor="{anchor}">{escape(label)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
