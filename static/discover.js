// Discovery you can watch. A lookup form (action /setup) asks /api/v1/discover for the
// address as NDJSON: each source is listed when it is tried and marked when it answers,
// in the page's language (app/web/routes/progress.py). Then the setup page opens; it
// answers at once, from the same discovery's cache. Without JavaScript, or without
// streaming fetch, or when the API refuses, the form is sent as usual and the setup
// page answers when discovery is done.
"use strict";
(() => {
  const forms = document.querySelectorAll('form.lookup[action="/setup"][data-progress]');
  if (!forms.length || !window.fetch || !window.ReadableStream || !window.TextDecoder) return;

  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  function html(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== null) node.textContent = text;
    return node;
  }

  // A URL shows as its scheme and host: the rest names the asker and is long on a phone.
  function where(target) {
    try {
      if (!/^https?:/.test(target)) return target;
      const url = new URL(target);
      return `${url.protocol}//${url.host}`;
    } catch (err) {
      return target;
    }
  }

  class Progress {
    constructor(form, T, email) {
      this.T = T;
      this.rows = new Map();
      document.getElementById("progress")?.remove();
      this.section = html("section", {
        class: "progress", id: "progress", "aria-labelledby": "progress-h", "aria-busy": "true",
      });
      this.section.append(html("h2", { id: "progress-h" }, fill(T.looking, { email })));
      this.list = html("ol", { class: "progress-list", "aria-live": "polite" });
      this.section.append(this.list);
      form.after(this.section);
      this.section.scrollIntoView({ block: "start" });
    }

    trying(event) {
      const key = `${event.source} ${event.target}`;
      if (this.rows.has(key)) return;
      const li = html("li", { class: "pending" });
      li.append(
        html("span", { class: "source" }, event.source_label),
        html("code", { class: "target" }, where(event.target)),
        html("span", { class: "state" }, this.T.trying),
      );
      this.rows.set(key, li);
      this.list.append(li);
    }

    attempt(event) {
      this.trying(event);
      const li = this.rows.get(`${event.source} ${event.target}`);
      li.className = event.ok ? "ok" : "failed";
      li.querySelector(".state").textContent =
        `${event.words} · ${fill(this.T.ms, { ms: Math.round(event.duration_ms) })}`;
    }

    done(event) {
      this.section.removeAttribute("aria-busy");
      this.list.after(html("p", { class: "muted", role: "status" },
        event.found ? this.T.found : this.T.none));
      window.location.assign(event.url);
    }
  }

  async function watch(form, T) {
    const email = form.elements.email.value.trim();
    const query = new URLSearchParams({ email });
    const client = form.querySelector('input[name="client"]:checked')?.value;
    if (client) query.set("client", client);
    const response = await fetch(`/api/v1/discover?${query}`, {
      headers: { Accept: "application/x-ndjson" },
    });
    if (!response.ok || !response.body) return false;
    const progress = new Progress(form, T, email);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop();
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line);
        if (event.type in { trying: 1, attempt: 1, done: 1 }) progress[event.type](event);
        if (event.type === "done") return true;
      }
    }
    return false;
  }

  for (const form of forms) {
    const T = JSON.parse(form.dataset.progress);
    form.addEventListener("submit", async (event) => {
      if (!form.checkValidity() || !window.TextDecoderStream) return;
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      let navigated = false;
      try {
        navigated = await watch(form, T);
      } catch (err) {
        console.warn("discovery progress unavailable", err);
      }
      if (!navigated) {
        button.disabled = false;
        form.submit(); // the setup page answers, and explains any refusal
      }
    });
  }
})();
