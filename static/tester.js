// The live test, streamed. The tester's form (templates/_tester.html, on /test and on
// the setup page) is posted as JSON to /api/v1/test with "Accept: application/x-ndjson";
// each line of the answer is one event (start, step, result, report), shown after the
// form as it arrives: steps in a list and as bars on an SVG timeline, then each
// server's verdict, findings and transcript. The markup is the one
// templates/_tester.html renders for the no-JS report, and the timeline follows
// app/web/routes/timeline.py: keep the three in step. Without JavaScript, or without
// streaming fetch, the form posts to /test as usual.
"use strict";
(() => {
  const form = document.querySelector("form.tester");
  if (!form || !window.fetch || !window.ReadableStream || !window.TextDecoder) return;
  const T = JSON.parse(form.dataset.strings || "{}");

  // Geometry of the timeline, as in app/web/routes/timeline.py.
  const WIDTH = 720, LABEL_WIDTH = 150, RIGHT_PAD = 64, TOP = 6, ROW = 26, BAR = 16,
    AXIS = 26, TICKS = 5, MIN_BAR = 1.5;
  const SECURITY_WORDS = { tls: "TLS", starttls: "STARTTLS", none: "PLAIN" };
  const SVG_NS = "http://www.w3.org/2000/svg";
  const EVENTS = new Set(["start", "step", "result", "report"]);

  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  const ms = (value) => fill(T.ms, { ms: Math.round(value) });
  const stepName = (name) => (T.steps && T.steps[name]) || name;
  const num = (value) => {
    const text = value.toFixed(1);
    return text.endsWith(".0") ? text.slice(0, -2) : text;
  };

  function html(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  function svg(tag, attrs = {}, text = null) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  // Red on an error, a failed login or an error finding; amber when the probe did not
  // fully pass; green otherwise (app/web/routes/timeline.py: verdict).
  function verdict(result) {
    const severities = new Set(result.findings.map((f) => f.severity));
    if (result.error || result.auth.status === "failed" || severities.has("error")) return "red";
    if (!result.ok || severities.has("warning")) return "amber";
    return "green";
  }

  // "untested": the service could not test the server (app/livetest/verdicts.py).
  function verdictLabel(result) {
    const level = verdict(result);
    if (result.untested) return T.untested;
    if (level === "amber" && result.auth.status === "not-attempted") return T.not_tried;
    return T[level];
  }

  function axisStep(longest) {
    const target = Math.max(longest, 1) / TICKS;
    const power = 10 ** Math.floor(Math.log10(target));
    for (const factor of [1, 2, 5, 10]) if (factor * power >= target) return factor * power;
    return 10 * power;
  }

  const textWidth = (text, size) =>
    [...text].reduce((sum, c) => sum + (c.codePointAt(0) >= 0x2e80 ? size : size * 0.6), 0);

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

  function timeline(servers) {
    const lanes = servers.map(lane);
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
        const text = [`${bar.name} ${duration}`, bar.name].find((t) => textWidth(t, 11) + 6 <= width);
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

  function stepItem(step) {
    const text = `${stepName(step.name)} — ${ms(step.duration_ms)}${step.detail ? `: ${step.detail}` : ""}`;
    return html("li", { class: step.ok ? "ok" : "failed" }, text);
  }

  function transcript(entries) {
    const details = html("details", { class: "transcript" });
    details.append(html("summary", {}, T.transcript));
    const lines = entries.map((t) => `${t.t_ms.toFixed(1).padStart(8)} ${t.direction} ${t.line}\n`);
    const pre = html("pre");
    pre.append(html("code", {}, lines.join("")));
    details.append(pre);
    return details;
  }

  function findings(list) {
    const ul = html("ul", { class: "findings" });
    for (const f of list) {
      const li = html("li", { class: `finding severity-${f.severity}` });
      li.append(html("strong", {}, f.message));
      if (f.fix) li.append(html("br"), `${T.fix} ${f.fix}`);
      ul.append(li);
    }
    return ul;
  }

  // One test run: the report section and what has arrived so far.
  class Run {
    constructor() {
      document.getElementById("report")?.remove();
      this.servers = [];
      this.section = html("section", {
        class: "report", id: "report", "aria-labelledby": "report-h",
        "data-state": "running", "aria-busy": "true",
      });
      this.heading = html("h2", { id: "report-h" }, T.running);
      this.summary = html("p", { class: "muted summary", role: "status" });
      this.figure = html("figure", { class: "timeline" });
      this.figure.append(html("figcaption", { class: "muted" }, T.caption));
      this.section.append(this.heading, this.summary, this.figure);
      form.after(this.section);
    }

    draw() {
      this.figure.querySelector("svg")?.remove();
      this.figure.prepend(timeline(this.servers));
    }

    start(event) {
      for (const s of event.servers) {
        const article = html("article", { class: "server verdict-pending", "data-verdict": "pending" });
        const h3 = html("h3");
        const where = `${s.protocol.toUpperCase()} ${s.host}:${s.port} · ${T.security[s.security]}`;
        const badge = html("span", { class: "verdict" }, T.waiting);
        h3.append(html("span", { class: "where" }, where), " ", badge);
        const list = html("ol", { class: "steps-run" });
        article.append(h3, list);
        this.section.append(article);
        this.servers.push({ ...s, steps: [], result: null, article, badge, list });
      }
      this.draw();
    }

    step(event) {
      const server = this.servers[event.server];
      server.steps.push(event.step);
      server.list.append(stepItem(event.step));
      this.draw();
    }

    result(event) {
      const server = this.servers[event.server];
      const { result } = event;
      const level = verdict(result);
      server.result = result;
      server.steps = result.steps;
      server.article.className = `server verdict-${level}`;
      server.article.dataset.verdict = level;
      server.badge.textContent = verdictLabel(result);
      if (result.findings.length) server.list.before(findings(result.findings));
      server.list.replaceChildren(...result.steps.map(stepItem));
      server.article.append(transcript(result.transcript));
      this.draw();
    }

    report(event) {
      // The server decides the outcome (app/livetest/verdicts.py) and words the headline,
      // naming the mail app when the form says which one.
      this.heading.textContent = event.headline || T.headlines[event.outcome];
      // And, when something failed, the one thing to fix first.
      this.section.querySelector("p.diagnosis")?.remove();
      if (event.diagnosis) {
        const lead = html("p", { class: "diagnosis" });
        const fix = html("span", { class: "fix" });
        fix.append(html("span", { class: "label" }, T.fix), " ", event.diagnosis.fix);
        lead.append(html("strong", {}, event.diagnosis.message), fix);
        this.heading.after(lead);
      }
      this.section.dataset.outcome = event.outcome;
      this.summary.textContent = fill(T.summary, {
        n: event.results.length, ms: Math.round(event.duration_ms),
      });
      this.finish("done");
    }

    finish(state) {
      this.section.dataset.state = state;
      this.section.removeAttribute("aria-busy");
    }

    handle(event) {
      if (EVENTS.has(event.type)) this[event.type](event);
    }
  }

  function showError(message) {
    let p = form.querySelector(".error");
    if (!p) {
      p = html("p", { class: "error", role: "alert" });
      form.querySelector("button[type=submit]").before(p);
    }
    p.textContent = message;
  }

  // "protocol:host:port:security" lines as the API takes them, an IPv6 host in brackets
  // ("imap:[2001:db8::1]:993:tls"); null when one is malformed, so that the server's own
  // page explains the mistake.
  const SERVER_LINE = /^([^:\[\]]+):(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+):(\d+):([^:]+)$/;

  function serverList(text) {
    const servers = [];
    for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const parts = SERVER_LINE.exec(line);
      if (parts === null) return null;
      const [, protocol, host, port, security] = parts;
      servers.push({
        protocol: protocol.toLowerCase(), host, port: Number(port), security: security.toLowerCase(),
      });
    }
    return servers;
  }

  // More servers than a test may list, or one listed twice: the server's page says so in
  // the visitor's language.
  function refusedList(servers) {
    const keys = servers.map((s) =>
      [s.protocol, s.host.toLowerCase().replace(/\.$/, ""), s.port, s.security].join(" "));
    return servers.length > T.max_servers || new Set(keys).size < keys.length;
  }

  // A field the API refused because it holds a control character: say so in the page's
  // language, as the form without JavaScript does.
  const UNUSABLE_TYPES = new Set(["control_character", "unicode_text"]);

  async function problem(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
      const unusable = Array.isArray(body.detail) && body.detail.find(
        (e) => UNUSABLE_TYPES.has(e.type) && T.unusable?.[(e.loc || []).at(-1)],
      );
      if (unusable) return T.unusable[unusable.loc.at(-1)];
      if (Array.isArray(body.detail)) {
        return body.detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
      }
    } catch (err) {
      console.warn("unreadable error response", err);
    }
    return `HTTP ${response.status}`;
  }

  // After a result: the button tests again, and a link leads back to the settings of
  // the address (and mail app) just tested.
  function offerAgain(body) {
    form.querySelector("button[type=submit]").textContent = T.again;
    const back = document.getElementById("back-to-settings");
    if (!back) return;
    const client = body.client ? `&client=${encodeURIComponent(body.client)}` : "";
    back.href = `/setup?email=${encodeURIComponent(body.email)}${client}`;
    back.parentElement.hidden = false;
  }

  async function run(body, headers) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    form.querySelector(".error")?.remove();
    let current = null;
    try {
      const response = await fetch("/api/v1/test", {
        method: "POST", body: JSON.stringify(body), credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/x-ndjson", ...headers },
      });
      if (!response.ok) {
        showError(await problem(response));
        return;
      }
      current = new Run();
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        buffer += decoder.decode(value, { stream: !done });
        let newline;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) current.handle(JSON.parse(line));
        }
        if (done) break;
      }
      if (buffer.trim()) current.handle(JSON.parse(buffer));
      if (current.section.dataset.state !== "done") throw new Error("the stream ended early");
      offerAgain(body);
    } catch (err) {
      console.warn("live test failed", err);
      current?.finish("broken");
      showError(T.broken);
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    const f = form.elements;
    const servers = serverList(f.servers.value);
    // A malformed line or list: the server's page says what is wrong.
    if (servers === null || refusedList(servers)) return;
    event.preventDefault();
    const body = { email: f.email.value.trim(), password: f.password.value };
    if (f.username.value.trim()) body.username = f.username.value.trim();
    if (servers.length) body.servers = servers;
    if (f.allow_invalid_certificate.checked) body.allow_invalid_certificate = true;
    if (f.client?.value) body.client = f.client.value;
    const headers = {};
    for (const input of form.querySelectorAll("input[type=hidden]")) {
      if (/csrf/i.test(input.name)) headers["X-CSRF-Token"] = input.value;
    }
    run(body, headers);
  });
})();
