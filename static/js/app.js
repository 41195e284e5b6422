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
  function showProblem() {
    var box = document.getElementById("connection-problem");
    if (box) { box.hidden = false; box.focus(); }
  }
})();
