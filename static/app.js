// Progressive enhancement: copy buttons appear only where the clipboard works.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.hidden = false;
    const label = button.textContent;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "✓";
      } catch (err) {
        button.textContent = "✗";
        console.warn("copy failed", err);
      }
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
});
