// The live test's timeline, drawn while a test streams (static/tester.js calls it):
// the SVG with every server's steps as bars on one time axis, and the list that narrow
// screens show instead, time running down the page. The markup follows
// app/web/routes/timeline.py and app/web/routes/timeline_rows.py, which draw the no-JS
// report: keep the three in step.
"use strict";
(() => {
  // Geometry of the SVG, as in app/web/routes/timeline.py.
  const WIDTH = 720, LABEL_WIDTH = 150, RIGHT_PAD = 64, TOP = 6, ROW = 26, BAR = 16,
    AXIS = 26, TICKS = 5, MIN_BAR = 1.5;
  const MIN_SHARE = 0.5; // app/web/routes/timeline_rows.py
  const SECURITY_WORDS = { tls: "TLS", starttls: "STARTTLS", none: "PLAIN" };
  const SVG_NS = "http://www.w3.org/2000/svg";

  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  const num = (value) => {
    const text = value.toFixed(1);
    return text.endsWith(".0") ? text.slice(0, -2) : text;
  };
  const share = (value) => String(Number(value.toFixed(2)));

  function element(ns, tag, attrs, text) {
    const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }
  const html = (tag, attrs = {}, text = null) => element(null, tag, attrs, text);
  const svg = (tag, attrs = {}, text = null) => element(SVG_NS, tag, attrs, text);

  // Red on an error, a failed login or an error finding; amber when the probe did not
  // fully pass; green otherwise (app/livetest/verdicts.py).
  function verdict(result) {
    const severities = new Set(result.findings.map((f) => f.severity));
    if (result.error || result.auth.status === "failed" || severities.has("error")) return "red";
    if (!result.ok || severities.has("warning")) return "amber";
    return "green";
  }

  function axisStep(longest) {
    const target = Math.max(longest, 1) / TICKS;
    const power = 10 ** Math.floor(Math.log10(target));
    for (const factor of [1, 2, 5, 10]) if (factor * power >= target) return factor * power;
    return 10 * power;
  }

  const textWidth = (text, size) =>
    [...text].reduce((sum, c) => sum + (c.codePointAt(0) >= 0x2e80 ? size : size * 0.6), 0);

  // The texts come from templates/_tester.html's data-strings.
  function drawer(T) {
    const ms = (value) => fill(T.ms, { ms: Math.round(value) });
    const stepName = (name) => (T.steps && T.steps[name]) || name;

    function lane(server) {
      let start = 0;
      const bars = server.steps.map((step) => {
        const bar = { name: stepName(step.name), start, duration: step.duration_ms, ok: step.ok };
        start += step.duration_ms;
        return bar;
      });
      return {
        label: `${server.protocol.toUpperCase()} ${server.port} ${SECURITY_WORDS[server.security]}`,
        where: `${server.protocol} ${server.host}:${server.port}`,
        verdict: server.result ? verdict(server.result) : "pending",
        bars,
        end: start,
      };
    }

    function picture(lanes) {
      const longest = Math.max(0, ...lanes.map((l) => l.end));
      const step = axisStep(longest);
      const span = step * Math.max(1, Math.ceil(longest / step));
      const scale = (WIDTH - LABEL_WIDTH - RIGHT_PAD) / span;
      const height = TOP + ROW * lanes.length + AXIS;
      const summary = lanes.map((l) => `${l.label}: ${ms(l.end)}`).join("; ");
      const root = svg("svg", {
        class: "timeline", viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height,
        role: "img", "aria-label": `${T.timeline}: ${summary}`,
      });
      lanes.forEach((row, index) => {
        const y = TOP + ROW * index;
        const mid = num(y + ROW / 2 + 4);
        const group = svg("g", { class: `lane verdict-${row.verdict}` });
        const server = svg("g", { class: "server" });
        server.append(
          svg("title", {}, row.where),
          svg("text", { class: "lane-label", x: LABEL_WIDTH - 8, y: mid, "text-anchor": "end" }, row.label),
        );
        group.append(server);
        for (const bar of row.bars) {
          const x = LABEL_WIDTH + bar.start * scale;
          const width = Math.max(bar.duration * scale, MIN_BAR);
          const duration = ms(bar.duration);
          const g = svg("g", { class: `step ${bar.ok ? "ok" : "failed"}` });
          g.append(
            svg("title", {}, `${bar.name} — ${duration}`),
            svg("rect", {
              class: "bar", x: num(x), y: num(y + (ROW - BAR) / 2), width: num(width), height: BAR, rx: 2,
            }),
          );
          const text = [`${bar.name} ${duration}`, bar.name].find((t) => textWidth(t, 12) + 6 <= width);
          if (text) g.append(svg("text", { class: "bar-label", x: num(x + 3), y: mid }, text));
          group.append(g);
        }
        group.append(svg("text", { class: "total", x: num(LABEL_WIDTH + row.end * scale + 4), y: mid },
          ms(row.end)));
        root.append(group);
      });
      const base = TOP + ROW * lanes.length;
      const axis = svg("g", { class: "axis" });
      axis.append(svg("line", {
        x1: LABEL_WIDTH, y1: num(base + 2), x2: num(LABEL_WIDTH + span * scale), y2: num(base + 2),
      }));
      const ticks = Math.round(span / step);
      for (let n = 0; n <= ticks; n += 1) {
        const x = num(LABEL_WIDTH + n * step * scale);
        const anchor = n === 0 ? "start" : n === ticks ? "end" : "middle";
        axis.append(
          svg("line", { x1: x, y1: num(base + 2), x2: x, y2: num(base + 6) }),
          svg("text", { x, y: num(base + 18), "text-anchor": anchor },
            n === 0 ? "0" : fill(T.ms, { ms: num(n * step) })),
        );
      }
      root.append(axis);
      return root;
    }

    function rows(lanes) {
      const span = Math.max(0, ...lanes.map((l) => l.end)) || 1;
      const list = html("ol", { class: "timeline-rows", "aria-label": T.timeline });
      for (const row of lanes) {
        const item = html("li", { class: `lane verdict-${row.verdict}` });
        const head = html("p", { class: "lane-head" });
        head.append(html("span", { class: "lane-label" }, row.label), " ",
          html("span", { class: "total" }, ms(row.end)));
        const steps = html("ol", { class: "lane-steps" });
        for (const bar of row.bars) {
          const start = Math.min((100 * bar.start) / span, 100 - MIN_SHARE);
          const width = Math.max(MIN_SHARE, Math.min((100 * bar.duration) / span, 100 - start));
          const li = html("li", { class: `step ${bar.ok ? "ok" : "failed"}` });
          const picture = svg("svg", {
            class: "span-bar", viewBox: "0 0 100 10", preserveAspectRatio: "none",
            "aria-hidden": "true", focusable: "false",
          });
          picture.append(svg("rect", { x: share(start), y: 0, width: share(width), height: 10 }));
          li.append(html("span", { class: "name" }, bar.name), picture,
            html("span", { class: "ms" }, ms(bar.duration)));
          steps.append(li);
        }
        item.append(head, steps);
        list.append(item);
      }
      return list;
    }

    // The SVG and the list for the servers as they stand.
    const draw = (servers) => {
      const lanes = servers.map(lane);
      return [picture(lanes), rows(lanes)];
    };
    return { draw, ms, stepName, fill };
  }

  window.mailsetupTimeline = { drawer, verdict };
})();
