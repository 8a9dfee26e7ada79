// Keyboard shortcuts for the review page. Digits toggle topics, Enter submits a violation, o submits OK,
// s skips, n takes the next task. Keys are ignored while typing in a text field.
(function () {
  "use strict";
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type !== "checkbox") || t.isContentEditable);
  }
  function click(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    var form = document.getElementById("decide-form");
    var key = event.key;
    if (form && /^[1-9]$/.test(key)) {
      var box = form.querySelector('input[data-key="' + key + '"]');
      if (box) { box.checked = !box.checked; event.preventDefault(); }
      return;
    }
    if (form && key === "Enter") {
      if (form.querySelector('input[name="topic"]:checked')) { click("btn-violation"); }
      else { form.classList.add("need-topic"); }
      event.preventDefault();
      return;
    }
    if (form && key === "o") { click("btn-ok"); event.preventDefault(); return; }
    if (form && key === "s") { click("btn-skip"); event.preventDefault(); return; }
    if (key === "n") {
      // the page's own "next" (it carries the queue filters), else the one in the header: n works on every page
      var next = document.querySelector("#next-form button") || document.querySelector("#start button") ||
        document.querySelector("#next-anywhere button");
      if (next && !next.disabled) { next.click(); event.preventDefault(); }
    }
  });
  // A click anywhere on a queue row claims that task (the title is the button without JavaScript).
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr.clickable");
    if (!row || event.target.closest("button, a, input, label")) { return; }
    var button = row.querySelector("form.claim button");
    if (button) { button.click(); }
  });
  // Browsers do not focus swapped-in content: keep shortcuts working after htmx swaps.
  document.addEventListener("htmx:afterSwap", function () { if (document.activeElement) { document.activeElement.blur(); } });
})();
