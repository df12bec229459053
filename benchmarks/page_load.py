"""Target 7: a known provider's setup page on a phone and a desktop, as Chromium loads it.

``mailsetup serve`` runs on the embedded data (DNS and the ISPDB pointed at closed
loopback ports, so nothing leaves the machine). Debian's Chromium (``/usr/bin/chromium``,
through playwright) opens ``/setup?email=someone@qq.com`` in a fresh context each time
(empty cache, new connection), in English, 简体中文 and 繁體中文 at 360 and 1280 px.

- Load time: from the navigation's start to the end of its ``load`` event (Navigation
  Timing), RUNS loads per language and width; the median of each, and the slowest
  median is the figure. Target: < 1 s.
- Transfer: the bytes the page and everything it loads took on the wire (Resource
  Timing ``transferSize``, headers included), on the first load. Target: < 300 KB.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

from benchmarks.common import PYTHON, cli, free_port, http_server

PAGE = "/setup?email=someone@qq.com"
LANGS = ("en", "zh-Hans", "zh-Hant")
WIDTHS = (360, 1280)
RUNS = 15
CHROMIUM = "/usr/bin/chromium"
TIMING = """() => {
  const [nav] = performance.getEntriesByType('navigation');
  const resources = performance.getEntriesByType('resource');
  return {
    load_ms: nav.loadEventEnd - nav.startTime,
    bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
    files: 1 + resources.length,
  };
}"""


def measure(url: str, runs: int) -> dict[tuple[str, int], list[dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    figures: dict[tuple[str, int], list[dict[str, float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for lang in LANGS:
            for width in WIDTHS:
                samples = figures.setdefault((lang, width), [])
                for _ in range(runs):
                    context = browser.new_context(viewport={"width": width, "height": 900})
                    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
                    page = context.new_page()
                    page.goto(url + PAGE, wait_until="load")
                    timing: dict[str, Any] = page.evaluate(TIMING)
                    samples.append(timing)
                    context.close()
        browser.close()
    return figures


def main() -> None:
    args, rows = cli(__doc__)
    if not os.access(CHROMIUM, os.X_OK):
        rows.add("setup page load", "< 1 s", f"{CHROMIUM} missing", "SKIP")
        return
    port = free_port()
    env = {
        "MAILSETUP_DNS_SERVERS": "127.0.0.1:9",
        "MAILSETUP_ISPDB_URL": "http://127.0.0.1:9/v1.1/",
        "MAILSETUP_DNS_TIMEOUT": "0.5",
    }
    command = [PYTHON, "-m", "app", "serve", "--port", str(port), "--log-level", "warning"]
    with http_server("mailsetup", command, port, env):
        figures = measure(f"http://127.0.0.1:{port}", 5 if args.quick else RUNS)
    medians = {}
    for (lang, width), samples in figures.items():
        load = statistics.median(s["load_ms"] for s in samples)
        medians[lang, width] = load
        first = samples[0]
        print(
            f"  {lang:8} {width:5} px: load median {load:6.1f} ms "
            f"(min {min(s['load_ms'] for s in samples):.1f}, max "
            f"{max(s['load_ms'] for s in samples):.1f}), {first['bytes'] / 1024:.1f} KB "
            f"in {first['files']:.0f} files",
            flush=True,
        )
    (worst_lang, worst_width), worst = max(medians.items(), key=lambda item: item[1])
    rows.add(
        "setup page load, slowest median",
        "< 1000 ms",
        f"{worst:.0f} ms ({worst_lang}, {worst_width} px)",
        "PASS" if worst < 1000 else "FAIL",
    )
    heaviest = max(samples[0]["bytes"] for samples in figures.values())
    rows.add(
        "setup page transfer, heaviest",
        "< 300 KB",
        f"{heaviest / 1024:.1f} KB",
        "PASS" if heaviest < 300 * 1024 else "FAIL",
    )


if __name__ == "__main__":
    main()
