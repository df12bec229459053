// Search as you type on /providers (templates/providers.html): each row carries its id,
// names in every language and domains in data-search, lower case; rows that do not
// contain what is typed are hidden, and the count above the list (an aria-live status)
// says how many are left. The form still searches on the server when submitted, and
// without JavaScript.
"use strict";
(() => {
  const input = document.getElementById("q");
  const list = document.getElementById("provider-list");
  const status = document.getElementById("provider-count");
  if (!input || !list || !status) return;
  const rows = Array.from(list.querySelectorAll("tbody tr[data-search]"));
  const template = status.dataset.template || "";
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  let shown = rows.length;

  function filter() {
    const needle = input.value.trim().toLowerCase();
    let count = 0;
    for (const row of rows) {
      const match = !needle || row.dataset.search.includes(needle);
      row.hidden = !match;
      if (match) count += 1;
    }
    list.hidden = count === 0;
    if (count !== shown && template) {
      status.textContent = template.replace("{shown}", numbers.format(count));
    }
    shown = count;
  }

  input.addEventListener("input", filter);
  filter(); // a value the browser restored on going back
})();
