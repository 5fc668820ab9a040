/* commentsvc counts: fills every [data-comments-count="PAGE-URL"] with that page's number of
 * responses, worded in the page's language ("5 comments", "No comments"), from one request
 * (one per 100 pages, the API's limit).
 * <script src="SERVICE/count.js" data-site="NAME" async></script>
 * The service inlines the count wording of every catalogue below (commentsvc/widget.py). An
 * element with data-comments-count-format="number" gets the bare number; data-text-count-one,
 * -other and data-text-count-none on the script tag choose other words. Written with
 * textContent; on an error the elements keep whatever the page put in them. */
(() => {
  const WORDS = /*COUNTS*/ {};
  const me = document.currentScript;
  const opts = me.dataset;
  let lang = opts.lang || document.documentElement.lang || "en";
  try {
    lang = Intl.getCanonicalLocales(lang)[0];
  } catch (e) {
    lang = "en";
  }
  const words = WORDS[lang.split("-")[0].toLowerCase()] || ((lang = "en"), WORDS.en);
  const plural = new Intl.PluralRules(lang);
  const word = (el, n) => {
    if (el.dataset.commentsCountFormat === "number") return String(n);
    if (!n) return opts.textCountNone || words.countNone;
    const form = plural.select(n);
    const key = "textCount" + form[0].toUpperCase() + form.slice(1);
    return (opts[key] || words.count[form] || words.count.other).replace("{n}", n);
  };
  const run = () => {
    const found = {};
    for (const el of document.querySelectorAll("[data-comments-count]")) {
      let url;
      try {
        url = new URL(el.dataset.commentsCount || location.href, location.href);
      } catch (e) {
        continue; // names no page: the other elements still get their counts
      }
      if (url.protocol === "http:" || url.protocol === "https:")
        (found[url.href] = found[url.href] || []).push(el);
    }
    const urls = Object.keys(found);
    for (let i = 0; i < urls.length; i += 100) {
      const query = urls
        .slice(i, i + 100)
        .map((url) => "url=" + encodeURIComponent(url))
        .join("&");
      fetch(new URL("api/sites/" + encodeURIComponent(opts.site) + "/counts?" + query, me.src))
        .then((res) => (res.ok ? res.json() : {}))
        .then((counts) => {
          for (const url in counts)
            for (const el of found[url] || []) el.textContent = word(el, counts[url]);
        })
        .catch(() => {});
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
