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
  // A draft belongs to the signed-in person and this sign-in (DESIGN.md §3b): it is keyed to the
  // opaque scope on the sign-out form, and every draft of the tab is removed on signing out, on the
  // sign-in page, and whenever the page's scope is not the one the drafts were kept under (another
  // person, or a new sign-in, in the same tab). Nothing is kept when nobody is signed in.
  var DRAFT_PREFIX = "peacecase-draft:";
  var SCOPE_KEY = "peacecase-draft-scope";
  function store(fn) { try { return fn(window.sessionStorage); } catch (e) { return null; } }
  function draftScope() {
    var el = document.querySelector("[data-draft-scope]");
    return el ? el.getAttribute("data-draft-scope") : "";
  }
  function draftKey(area) { return DRAFT_PREFIX + draftScope() + ":" + area.getAttribute("data-draft-key"); }
  function clearDrafts() {
    store(function (s) {
      for (var i = s.length - 1; i >= 0; i--) {
        var key = s.key(i);
        if (key && (key.indexOf(DRAFT_PREFIX) === 0 || key === SCOPE_KEY)) { s.removeItem(key); }
      }
    });
  }
  function syncDraftScope() {
    var scope = draftScope();
    if (!scope || document.querySelector("[data-drafts-clear]")) { clearDrafts(); return; }
    if (store(function (s) { return s.getItem(SCOPE_KEY); }) !== scope) {
      clearDrafts();
      store(function (s) { s.setItem(SCOPE_KEY, scope); });
    }
  }
  syncDraftScope();  // deferred script: the document is parsed, no draft restored yet
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-drafts-clear-on-submit]")) { clearDrafts(); }
  });
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (area.matches && area.matches("textarea[data-draft-key]") && draftScope()) {
      store(function (s) { s.setItem(draftKey(area), area.value); });
    }
  });
  function restoreDrafts(root) {
    if (!draftScope()) { return; }
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
