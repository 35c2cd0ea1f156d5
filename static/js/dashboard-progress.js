// Refresh the dashboard's progress block in place while its order is under way. Without this
// script the page refreshes itself (<noscript> meta refresh) and has a "Refresh" link.
(function () {
  "use strict";

  function schedule(block) {
    const seconds = Number(block.dataset.refreshSeconds) || 15;
    window.setTimeout(function () { refresh(block); }, seconds * 1000);
  }

  async function refresh(block) {
    if (document.hidden) return schedule(block);
    let next = block;
    try {
      // HX-Request asks for the block alone, as htmx would.
      const response = await fetch(block.dataset.refreshUrl, {
        headers: { "HX-Request": "true" },
        credentials: "same-origin",
      });
      if (response.status >= 400 && response.status < 500) return; // signed out or not ours
      if (response.ok) {
        const holder = document.createElement("div");
        holder.innerHTML = (await response.text()).trim();
        const fresh = holder.firstElementChild;
        if (fresh && fresh.id === block.id) {
          block.replaceWith(fresh);
          next = fresh;
        }
      }
    } catch (error) {
      // Offline for a moment: try again at the next turn.
    }
    if (next.dataset.refreshUrl) schedule(next);
  }

  const block = document.querySelector("#order-progress[data-refresh-url]");
  if (block) schedule(block);
})();
