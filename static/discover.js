// Discovery you can watch. For an address at a domain we do not know yet, this asks
// /api/v1/discover as NDJSON: each source is listed when it is tried and marked when it
// answers, in the page's language (app/web/routes/progress.py). Then the setup page
// opens; it answers at once, from the same discovery's cache.
// - A lookup form (action /setup, with data-progress) does this instead of going to
//   /setup straight away.
// - The page /setup shows a browser while it has not looked yet (#discovering,
//   templates/discovering.html) does it at once, then goes on to its data-next.
// Without JavaScript, or without streaming fetch, or when the API refuses, the browser
// goes to the setup page as usual, which answers when discovery is done.
"use strict";
(() => {
  if (!window.fetch || !window.ReadableStream || !window.TextDecoderStream) return;

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
    // ``place(section)`` puts the progress on the page; ``heading``: whether it needs one.
    constructor(T, email, place, heading) {
      this.T = T;
      this.rows = new Map();
      document.getElementById("progress")?.remove();
      this.section = html("section", { class: "progress", id: "progress", "aria-busy": "true" });
      if (heading) {
        this.section.setAttribute("aria-labelledby", "progress-h");
        this.section.append(html("h2", { id: "progress-h" }, fill(T.looking, { email })));
      } else {
        this.section.setAttribute("aria-label", fill(T.looking, { email }));
      }
      this.list = html("ol", { class: "progress-list", "aria-live": "polite" });
      this.section.append(this.list);
      place(this.section);
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
    }
  }

  // Streams the progress for ``email``; resolves to the "done" event, or null when the
  // API refused or the stream broke off.
  async function watch(T, email, client, place, heading) {
    const query = new URLSearchParams({ email });
    if (client) query.set("client", client);
    const response = await fetch(`/api/v1/discover?${query}`, {
      headers: { Accept: "application/x-ndjson" },
    });
    if (!response.ok || !response.body) return null;
    const progress = new Progress(T, email, place, heading);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
      const lines = buffer.split("\n");
      buffer = lines.pop();
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line);
        if (event.type in { trying: 1, attempt: 1, done: 1 }) progress[event.type](event);
        if (event.type === "done") return event;
      }
    }
  }

  async function safely(run) {
    try {
      return await run();
    } catch (err) {
      console.warn("discovery progress unavailable", err);
      return null;
    }
  }

  for (const form of document.querySelectorAll('form.lookup[action="/setup"][data-progress]')) {
    const T = JSON.parse(form.dataset.progress);
    form.addEventListener("submit", async (event) => {
      if (!form.checkValidity()) return;
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const email = form.elements.email.value.trim();
      const client = form.querySelector('input[name="client"]:checked')?.value;
      const place = (section) => {
        form.after(section);
        section.scrollIntoView({ block: "start" });
      };
      const done = await safely(() => watch(T, email, client, place, true));
      if (done) {
        window.location.assign(done.url);
      } else {
        button.disabled = false;
        form.submit(); // the setup page answers, and explains any refusal
      }
    });
  }

  const waiting = document.getElementById("discovering");
  if (waiting) {
    const { email, client, next } = waiting.dataset;
    const T = JSON.parse(waiting.dataset.progress);
    safely(() => watch(T, email, client, (section) => waiting.append(section), false))
      .then(() => window.location.replace(next));
  }
})();
