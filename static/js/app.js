/* PeaceCase behaviour, progressive only: every page works without it. */
(function () {
  "use strict";

  // Language and filter selects: submit on change (the submit button stays for keyboard users without JS).
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-autosubmit]");
    if (form && event.target.matches("select")) {
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  // Ask before an action that cannot be undone: <button data-confirm="…">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-print>: print the page (the print stylesheet leaves the controls out).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });

  // Show the fields that only matter for one choice: <div data-show-when="field=value">.
  function syncConditional(root) {
    (root || document).querySelectorAll("[data-show-when]").forEach(function (el) {
      var parts = el.getAttribute("data-show-when").split("=");
      var form = el.closest("form");
      var input = form && form.elements[parts[0]];
      if (!input) { return; }
      var values = parts[1].split(",");
      var checked = input.type === "radio" || input instanceof RadioNodeList
        ? (form.querySelector("[name='" + parts[0] + "']:checked") || {}).value
        : input.value;
      el.hidden = values.indexOf(checked) === -1;
    });
  }
  document.addEventListener("change", function () { syncConditional(); });
  document.addEventListener("DOMContentLoaded", function () { syncConditional(); });
  document.addEventListener("htmx:afterSwap", function (event) { syncConditional(event.target); });

  // After htmx replaces a section, move focus to it so screen-reader and keyboard users follow.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.target;
    if (target && target.matches("[data-focus-after-swap]")) {
      var heading = target.querySelector("h2, h3, [role=alert]");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
  });

  // A failed htmx request (connection lost, server error) must say so; nothing typed is removed.
  document.addEventListener("htmx:sendError", function () { showProblem(); });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) { showProblem(); }
  });

  // Drafts: what is typed into <textarea data-draft-key="…"> stays in this tab's sessionStorage
  // until the server says it was saved, so a lost connection or a reload never loses it.
  function draftKey(area) { return "peacecase-draft:" + area.getAttribute("data-draft-key"); }
  function store(fn) { try { return fn(window.sessionStorage); } catch (e) { return null; } }
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (area.matches && area.matches("textarea[data-draft-key]")) {
      store(function (s) { s.setItem(draftKey(area), area.value); });
    }
  });
  function restoreDrafts(root) {
    (root || document).querySelectorAll("textarea[data-draft-key]").forEach(function (area) {
      var kept = store(function (s) { return s.getItem(draftKey(area)); });
      if (kept && kept.trim() && kept !== area.value) {
        area.value = kept;
        var note = document.createElement("p");
        note.className = "help draft-restored";
        note.setAttribute("role", "status");
        note.textContent = area.closest("[data-draft-message]") ?
          area.closest("[data-draft-message]").getAttribute("data-draft-message") : "";
        if (note.textContent) { area.insertAdjacentElement("afterend", note); }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { restoreDrafts(); });
  document.addEventListener("htmx:afterSwap", function (event) { restoreDrafts(event.target); });
  document.addEventListener("peacecase-saved", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    if (!form) { return; }
    form.querySelectorAll("textarea[data-draft-key]").forEach(function (area) {
      store(function (s) { s.removeItem(draftKey(area)); });
    });
  });

  function showProblem() {
    var box = document.getElementById("connection-problem");
    if (box) { box.hidden = false; box.focus(); }
  }
})();
