/* Keyboard shortcuts for the queue (j/k move, x select, o open, a approve, s spam, d delete),
   "select all", and the pending count refreshed in the title and badge.
   An external file: the Content-Security-Policy of /moderate allows no inline script. */
(function () {
  "use strict";

  var STORE_KEY = "commentsvc:moderate:current";
  var ACTION_KEYS = { a: "approve", s: "spam", d: "delete" };
  var current = -1;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  }

  function focusItem(index) {
    var all = items();
    if (!all.length) { current = -1; return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (item, i) {
      item.classList.toggle("is-current", i === current);
      if (i === current) { item.setAttribute("aria-current", "true"); }
      else { item.removeAttribute("aria-current"); }
    });
    all[current].scrollIntoView({ block: "nearest" });
  }

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    if (tag === "input") { return target.type !== "checkbox" && target.type !== "radio"; }
    return tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function act(action) {
    var item = items()[current];
    if (!item) { return; }
    var button = item.querySelector('button[data-action="' + action + '"]');
    if (!button) { return; }
    // The acted-on item leaves the list; the next one takes its place after the reload.
    sessionStorage.setItem(STORE_KEY, String(current));
    button.click();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    var key = event.key;
    if (key === "j") { focusItem(current + 1); }
    else if (key === "k") { focusItem(current - 1); }
    else if (key === "x") {
      var box = items()[current] && items()[current].querySelector(".item-select");
      if (box) { box.checked = !box.checked; }
    }
    else if (key === "o" || key === "Enter") {
      var link = items()[current] && items()[current].querySelector("a.mod-open");
      if (!link || (key === "Enter" && event.target !== document.body)) { return; }
      link.click();
    }
    else if (ACTION_KEYS[key]) { act(ACTION_KEYS[key]); }
    else { return; }
    event.preventDefault();
  }

  function setUpSelectAll() {
    var all = document.getElementById("select-all");
    if (!all) { return; }
    all.addEventListener("change", function () {
      document.querySelectorAll(".item-select").forEach(function (box) { box.checked = all.checked; });
    });
  }

  function refreshCount() {
    var url = document.body.getAttribute("data-count-url");
    if (!url || !window.fetch) { return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || typeof data.pending !== "number") { return; }
        var badge = document.getElementById("pending-badge");
        if (badge) { badge.textContent = String(data.pending); }
        var title = document.title.replace(/^\(\d+\) /, "");
        document.title = data.pending ? "(" + data.pending + ") " + title : title;
      })
      .catch(function () { /* offline for a moment: the next refresh will do */ });
  }

  function start() {
    setUpSelectAll();
    var saved = sessionStorage.getItem(STORE_KEY);
    sessionStorage.removeItem(STORE_KEY);
    if (items().length) { focusItem(saved === null ? 0 : parseInt(saved, 10) || 0); }
    document.addEventListener("keydown", onKey);
    window.setInterval(refreshCount, 60000);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
