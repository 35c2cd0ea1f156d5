// Progressive enhancement: refresh the server-computed price breakdown as choices change,
// and let Enter in the preset name save the preset (without this, Enter updates the price).
(function () {
  "use strict";
  var form = document.getElementById("configurator");
  var target = document.getElementById("breakdown");
  if (!form || !target || !window.fetch) return;
  var presetName = document.getElementById("id_name");
  var saveButton = document.getElementById("save-preset");
  var pending, timer;
  function refresh() {
    clearTimeout(timer);
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
          var fields = body.error.fields || {};
          var first = Object.keys(fields)[0];
          p.textContent = first ? fields[first][0] : body.error.message;
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
  // Typing waits for a pause; a click or leaving the field prices at once.
  form.addEventListener("input", function (event) {
    if (event.target === presetName) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "billing") syncBilling();
    if (event.target !== presetName) refresh();
  });
  if (presetName && saveButton && form.requestSubmit) {
    presetName.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      form.requestSubmit(saveButton);
    });
  }
})();
