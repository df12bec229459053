"""The live test's timeline for narrow screens: time runs down the page.

Each server is an item; under it, one row per step with the step's name, a bar placed
on the shared time span (where the step started and how long it took, as a share of
the slowest server's total) and its duration in text, so that nothing is hidden behind
a tooltip. The stylesheet shows this list instead of the SVG below 40rem.
``static/timeline.js`` draws the same list while a test streams: keep the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from app.livetest import ProbeResult
from app.web.routes.timeline import TIMELINE_LABEL, Bar, Gettext, Lane, lane, ms_text

MIN_SHARE = 0.5  # a 0 ms step still shows, in percent of the span


def timeline_rows(results: Sequence[ProbeResult], gettext: Gettext = str) -> Markup:
    """The vertical timeline of a report's results."""
    lanes = [lane(r, gettext) for r in results]
    span = max((x.end_ms for x in lanes), default=0.0) or 1.0
    out = [f'<ol class="timeline-rows" aria-label="{escape(gettext(TIMELINE_LABEL))}">']
    out.extend(_lane(row, span, gettext) for row in lanes)
    out.append("</ol>")
    return Markup("".join(out))  # noqa: S704 - every text is escaped


def _share(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _lane(row: Lane, span: float, gettext: Gettext) -> str:
    steps = "".join(_step(bar, span, gettext) for bar in row.bars)
    return (
        f'<li class="lane verdict-{row.verdict.value}"><p class="lane-head">'
        f'<span class="lane-label">{escape(row.label)}</span> '
        f'<span class="total">{escape(ms_text(row.end_ms, gettext))}</span></p>'
        f'<ol class="lane-steps">{steps}</ol></li>'
    )


def _step(bar: Bar, span: float, gettext: Gettext) -> str:
    start = min(100 * bar.start_ms / span, 100 - MIN_SHARE)
    width = max(MIN_SHARE, min(100 * bar.duration_ms / span, 100 - start))
    status = "ok" if bar.ok else "failed"
    return (
        f'<li class="step {status}"><span class="name">{escape(bar.name)}</span>'
        '<svg class="span-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false">'
        f'<rect x="{_share(start)}" y="0" width="{_share(width)}" height="10"></rect></svg>'
        f'<span class="ms">{escape(ms_text(bar.duration_ms, gettext))}</span></li>'
    )
