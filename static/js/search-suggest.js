// Search-as-you-type for every search field with data-suggest-url: services for what is
// typed so far, in a listbox under the field (the ARIA 1.2 combobox pattern). Without this
// script the field is a plain search form.
(function () {
  "use strict";

  const WAIT_MS = 150; // after the last keystroke
  let counter = 0;

  function setUp(input) {
    const id = "suggest-" + (++counter);
    const list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions-popup";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggested services");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.parentElement.classList.add("suggest-anchor");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    let timer = null;
    let asked = "";
    let active = -1;

    function options() { return Array.from(list.querySelectorAll("[role=option]")); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const all = options();
      all.forEach(function (o, i) { o.setAttribute("aria-selected", String(i === index)); });
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", all[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function show(suggestions) {
      list.replaceChildren();
      suggestions.forEach(function (s, i) {
        const item = document.createElement("li");
        item.id = id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.href = s.href; // an option holds no link: it is chosen, not followed
        item.textContent = s.title;
        // mousedown, not click: it comes before the field's blur closes the list.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          window.location.assign(s.href);
        });
        list.appendChild(item);
      });
      if (!suggestions.length) return close();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    async function ask() {
      const query = input.value.trim();
      if (query === asked) return;
      asked = query;
      if (query.length < 2) return close();
      try {
        const url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(query);
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok || input.value.trim() !== query) return;
        show((await response.json()).suggestions || []);
      } catch (error) {
        close(); // the form still searches
      }
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      const all = options();
      if (list.hidden || !all.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % all.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? all.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(all[active].dataset.href);
      } else if (event.key === "Escape") {
        event.preventDefault(); // the first Escape closes the list; the next clears the field
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  document.querySelectorAll("input[data-suggest-url]").forEach(setUp);
})();
