// Progressive enhancement: refresh the server-computed price breakdown as choices change.
(function () {
  "use strict";
  var form = document.getElementById("configurator");
  var target = document.getElementById("breakdown");
  if (!form || !target || !window.fetch) return;
  var pending;
  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("name");
    params.delete("csrfmiddlewaretoken");
    params.set("format", "html");
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.priceUrl + "?" + params.toString(), { signal: pending.signal })
      .then(function (response) {
        if (response.ok) return response.text();
        return response.json().then(function (body) {
          var p = document.createElement("p");
          p.className = "form-errors";
          p.setAttribute("role", "alert");
          p.textContent = body.error.message;
          return p.outerHTML;
        });
      })
      .then(function (html) { target.innerHTML = html; })
      .catch(function () {});
  }
  // Add-ons that come only with monthly billing cannot be chosen for a one-off purchase.
  function syncBilling() {
    var billing = form.querySelector('input[name="billing"]:checked');
    var monthly = !billing || billing.value === "subscription";
    form.querySelectorAll("input[data-subscription-only]").forEach(function (input) {
      input.disabled = !monthly;
      if (!monthly) input.checked = false;
    });
  }
  syncBilling();
  form.addEventListener("change", function (event) {
    if (event.target.name === "billing") syncBilling();
    if (event.target.name !== "name") refresh();
  });
})();
