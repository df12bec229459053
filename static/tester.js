// The live test, streamed. The tester's form (templates/_tester.html, on /test and on
// the setup page) is posted as JSON to /api/v1/test with "Accept: application/x-ndjson";
// each line of the answer is one event (start, step, result, report), shown after the
// form as it arrives: steps in a list and on the timeline (static/timeline.js), then
// each server's verdict, findings and transcript. The markup is the one
// templates/_tester.html renders for the no-JS report: keep the two in step. Without JavaScript, or without
// streaming fetch, the form posts to /test as usual.
"use strict";
(() => {
  const form = document.querySelector("form.tester");
  if (!form || !window.fetch || !window.ReadableStream || !window.TextDecoder) return;
  const T = JSON.parse(form.dataset.strings || "{}");

  const { drawer, verdict } = window.mailsetupTimeline;
  const { draw, ms, stepName, fill } = drawer(T);
  const EVENTS = new Set(["start", "step", "result", "report"]);

  function html(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  // "untested": the service could not test the server (app/livetest/verdicts.py).
  function verdictLabel(result) {
    const level = verdict(result);
    if (result.untested) return T.untested;
    if (level === "amber" && result.auth.status === "not-attempted") return T.not_tried;
    return T[level];
  }

  function stepItem(step) {
    const text = `${stepName(step.name)} — ${ms(step.duration_ms)}${step.detail ? `: ${step.detail}` : ""}`;
    return html("li", { class: step.ok ? "ok" : "failed" }, text);
  }

  function transcript(entries) {
    const details = html("details", { class: "transcript" });
    details.append(html("summary", {}, T.transcript));
    const lines = entries.map((t) => `${t.t_ms.toFixed(1).padStart(8)} ${t.direction} ${t.line}\n`);
    const pre = html("pre", { tabindex: "0" });
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
      this.figure.querySelector("svg.timeline")?.remove();
      this.figure.querySelector("ol.timeline-rows")?.remove();
      this.figure.prepend(...draw(this.servers));
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
      form.querySelector("button.run-test").before(p);
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
      if (body.field === "username") {  // the provider issues its own user name: ask for it
        form.querySelector("details.advanced").open = true;
        form.querySelector("#username").focus();
      }
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
    form.querySelector("button.run-test").textContent = T.again;
    const back = document.getElementById("back-to-settings");
    if (!back) return;
    const client = body.client ? `&client=${encodeURIComponent(body.client)}` : "";
    back.href = `/setup?email=${encodeURIComponent(body.email)}${client}`;
    back.parentElement.hidden = false;
  }

  async function run(body, headers) {
    const button = form.querySelector("button.run-test");
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

  // Back from the provider's page (the browser's cache keeps this page as it was left).
  window.addEventListener("pageshow", () => form.elements.password?.removeAttribute("disabled"));

  form.addEventListener("submit", (event) => {
    // "Sign in with …" leaves for the provider's page: the browser posts the form.
    if (event.submitter?.classList.contains("sign-in-button") || !form.elements.password) {
      form.elements.password?.setAttribute("disabled", "");  // not sent along
      return;
    }
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
