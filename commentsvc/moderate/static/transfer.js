/* The import page follows its job: it polls the progress URL every second, moves the bar,
   and reloads once the import has finished so that the server renders the summary.
   An external file: the Content-Security-Policy of /moderate allows no inline script. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var section = document.getElementById("import");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  var initial = section.getAttribute("data-state");
  if (initial === "done" || initial === "failed") { return; }

  function show(data) {
    var state = document.getElementById("import-state");
    if (state) { state.textContent = data.state; }
    var bar = document.getElementById("import-progress");
    if (bar) {
      bar.max = Math.max(1, data.bytes_total);
      bar.value = data.bytes_done;
    }
    var counts = document.getElementById("import-counts");
    if (counts) {
      counts.textContent = data.bytes_done + " of " + data.bytes_total + " bytes read, " +
        data.records + " records";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, POLL_MS * 5); return; }
        show(data);
        if (data.state === "done" || data.state === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, POLL_MS);
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 5); });
  }

  window.setTimeout(poll, POLL_MS);
}());
