// While an order is under way, ask the server for its state now and then and reload the page
// once the state has changed. Without this script a <noscript> refresh does the same.
(function () {
  "use strict";
  const root = document.querySelector("[data-order-state][data-state-url]");
  if (!root) return;
  const seconds = Number(root.dataset.refreshSeconds) || 10;
  // The page's own query (session id or the e-mail link's token) proves access here too.
  const url = root.dataset.stateUrl + window.location.search;

  function schedule() {
    window.setTimeout(check, seconds * 1000);
  }

  async function check() {
    if (document.hidden) return schedule();
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.status >= 500) return schedule();
      if (!response.ok) return; // no longer ours to see: stop asking
      const body = await response.json();
      if (body.state !== root.dataset.orderState) {
        window.location.reload();
        return;
      }
    } catch (error) {
      // Offline for a moment: try again at the next turn.
    }
    schedule();
  }

  schedule();
})();
