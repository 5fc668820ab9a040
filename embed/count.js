/* commentsvc counts: fills every [data-comments-count="PAGE-URL"] with that page's number of
 * responses, from one request. <script src="SERVICE/count.js" data-site="NAME" async></script>
 * Numbers only, written with textContent: the page around them says "comments". */
(() => {
  const me = document.currentScript;
  const run = () => {
    const found = {};
    for (const el of document.querySelectorAll("[data-comments-count]")) {
      const url = new URL(el.dataset.commentsCount || location.href, location.href).href;
      (found[url] = found[url] || []).push(el);
    }
    const urls = Object.keys(found);
    if (!urls.length) return;
    const query = urls.map((url) => "url=" + encodeURIComponent(url)).join("&");
    fetch(new URL("api/sites/" + encodeURIComponent(me.dataset.site) + "/counts?" + query, me.src))
      .then((res) => (res.ok ? res.json() : {}))
      .then((counts) => {
        for (const url of urls)
          for (const el of found[url]) el.textContent = String(counts[url] || 0);
      })
      .catch(() => {});
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
