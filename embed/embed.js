/* commentsvc widget: renders one page's comment thread. No framework, no build step.
 *
 * Isolation: a shadow root, not an iframe. The thread sizes itself like any block (no
 * postMessage auto-height protocol, no layout jump when it grows), it renders straight from
 * one fetch without loading a second document, and the sign-in token lives in the host
 * page's own first-party localStorage, so signing in still works where browsers block or
 * partition third-party cookies and storage (an iframe on the service's origin would lose
 * them). Styles cross the shadow boundary in neither direction (`:host{all:initial}` stops
 * inherited ones too); theming passes through on purpose as --commentsvc-* custom
 * properties. The price of running in the host page is that commenter HTML must never run:
 * the server sanitises it, and this file still parses it into an inert <template> and keeps
 * only the server's allow-list (commentsvc/markup.py) before inserting it.
 *
 * The service inlines the CSS, the English catalogue, the language list and the server's HTML
 * allow-list below, then minifies (commentsvc/widget.py). Everything else is built with
 * createElement/textContent.
 *
 * Layout of this file: shared helpers (storage, DOM, sign-in token, API), then one widget as
 * functions that all take `ctx` (made by mount(): the widget's elements, state and wording):
 * the thread (start, order, mentions, pages, permalinks), live updates, one item (comment,
 * mention, votes, pins), and the form with sign-in.
 */
(() => {
  "use strict";
  const CSS = /*CSS*/ "";
  const EN = /*MESSAGES*/ {};
  const LANGS = /*LANGS*/ ["en"];
  // The server's allow-list (commentsvc/markup.py), filled in when the service builds this file.
  const TAGS = new Set(/*TAGS*/ []);
  const ATTRS = /*ATTRS*/ {};
  const SCHEMES = /*SCHEMES*/ [];
  const INDENT_CAP = 4; // deeper replies sit flush and name the comment they answer
  const FIRST_CHUNK = 30; // comments rendered before the first paint (a screenful and more)
  const CHUNK = 150; // then this many per task
  const RTL = ["ar", "he", "fa", "ur"]; // catalogues written right to left
  const FACES = ["like", "repost"]; // mentions shown as a row of avatars, not as items
  const me = document.currentScript || document.querySelector("script[src*='embed.js'][data-site]");
  const BASE = new URL(".", me ? me.src : location.href).href;
  const ORIGIN = new URL(BASE).origin;
  // A token is good for one site only (the server binds it), and one origin can belong to
  // two sites: keep one per site.
  const TOKEN_KEY = "commentsvc:token:" + ORIGIN + ":" + ((me && me.dataset.site) || "");
  const OWN_KEY = "commentsvc:own:" + ORIGIN;
  const GUEST_KEY = "commentsvc:guest";
  const VOTER_KEY = "commentsvc:voter";
  const VOTES_KEY = "commentsvc:votes:" + ORIGIN;
  const SORTS = ["oldest", "newest", "top"];
  const enc = encodeURIComponent;
  const widgets = new Set();
  const mounted = new WeakMap();
  let sheet;

  const store = {
    get(key) {
      try {
        return JSON.parse(localStorage.getItem(key));
      } catch (e) {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value == null) localStorage.removeItem(key);
        else localStorage.setItem(key, JSON.stringify(value));
      } catch (e) {
        /* storage switched off: state lasts for this page view */
      }
    },
  };

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const key in props) {
      const value = props[key];
      if (value == null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "text") el.textContent = value;
      else if (key === "cls") el.className = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    el.append(...children.filter((child) => child != null && child !== false));
    return el;
  }

  const isHttp = (url, schemes = ["http:", "https:"]) => {
    try {
      return schemes.includes(new URL(url, location.href).protocol);
    } catch (e) {
      return false;
    }
  };

  /* Defence in depth: the server's HTML, parsed inert, trimmed to the server's allow-list. */
  function clean(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    scrub(template.content);
    return template.content;
  }

  function scrub(node) {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === 3) continue;
      if (child.nodeType !== 1 || !TAGS.has(child.tagName)) {
        child.remove();
        continue;
      }
      const keep = ATTRS[child.tagName] || [];
      for (const { name, value } of [...child.attributes]) {
        const bad = name === "href" && !isHttp(value, SCHEMES);
        if (!keep.includes(name) || bad) child.removeAttribute(name);
      }
      if (child.tagName === "A") child.setAttribute("rel", "nofollow ugc noopener");
      scrub(child);
    }
  }

  /* The bearer token of the sign-in protocol, kept in the host page's localStorage. */
  const auth = {
    rec: store.get(TOKEN_KEY),
    token() {
      if (this.rec && !(Date.parse(this.rec.expires_at) > Date.now())) this.forget();
      return this.rec && this.rec.token;
    },
    header() {
      return this.token() ? { Authorization: "Bearer " + this.rec.token } : {};
    },
    save(rec) {
      this.rec = rec;
      store.set(TOKEN_KEY, rec);
    },
    forget() {
      this.rec = null;
      store.set(TOKEN_KEY, null);
    },
    async fresh() {
      if (this.token() && Date.parse(this.rec.expires_at) - Date.now() < 600000)
        await this.refresh();
    },
    refresh() {
      this.renewing =
        this.renewing ||
        fetch(BASE + "api/auth/refresh", { method: "POST", headers: this.header() })
          .then(async (res) => {
            if (res.ok) {
              const data = await res.json();
              this.save({ ...this.rec, token: data.token, expires_at: data.expires_at });
            } else if (res.status === 401 || res.status === 403) this.forget();
            return res.ok;
          })
          .catch(() => false)
          .finally(() => (this.renewing = null));
      return this.renewing;
    },
  };

  async function api(method, path, body, headers = {}, signed = true) {
    const had = signed && auth.token();
    const expired = () => Object.assign(new Error(), { expired: true });
    if (had) await auth.fresh();
    if (had && !auth.token()) throw expired(); // never post as a guest by surprise
    const send = () =>
      fetch(BASE + path, {
        method,
        headers: {
          ...headers,
          ...(body ? { "Content-Type": "application/json" } : {}),
          ...(signed ? auth.header() : {}),
        },
        body: body && JSON.stringify(body),
      });
    let res;
    try {
      res = await send();
      if (res.status === 401 && had && (await auth.refresh())) res = await send();
    } catch (e) {
      throw Object.assign(new Error(), { network: true });
    }
    if (had && !auth.token()) throw expired();
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw Object.assign(new Error((data && data.detail) || res.statusText), data);
    return { status: res.status, data };
  }

  function signIn(provider, site, onFail) {
    const url =
      BASE +
      "auth/login/" +
      enc(provider) +
      "?site=" +
      enc(site) +
      "&origin=" +
      enc(location.origin);
    const popup = window.open(url, "commentsvc-signin", "popup,width=520,height=680");
    if (!popup) return onFail();
    const onMessage = (event) => {
      const data = event.data;
      if (event.origin !== ORIGIN || event.source !== popup) return;
      if (!data || data.type !== "commentsvc:signed-in" || typeof data.token !== "string") return;
      removeEventListener("message", onMessage);
      auth.save({ token: data.token, expires_at: data.expires_at, account: data.account || {} });
      popup.close();
      widgets.forEach((widget) => widget.redraw());
    };
    addEventListener("message", onMessage);
  }

  async function signOut() {
    await api("POST", "api/auth/logout").catch(() => null);
    auth.forget();
    widgets.forEach((widget) => widget.redraw());
  }

  /* Comments this browser posted: edit tokens, their source text, and pending ones to show. */
  const own = store.get(OWN_KEY) || {};
  for (const id in own) if (Date.now() - own[id].at > 7 * 864e5) delete own[id];
  const saveOwn = () => store.set(OWN_KEY, own);

  /* Up-votes: a guest's browser is one voter, named by a random token the server only hashes;
   * the reader's own votes are remembered so the buttons show them on the next visit. */
  const votes = store.get(VOTES_KEY) || {};
  function voter() {
    let token = store.get(VOTER_KEY);
    if (!token) {
      const bytes = crypto.getRandomValues(new Uint8Array(18));
      token = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
      store.set(VOTER_KEY, token);
    }
    return token;
  }

  /* A site's own wording wins over every catalogue: `data-text-heading-one="…"` on the script
   * tag (dataset key textHeadingOne) or `text: {heading: {one: "…"}}` in init()'s options. */
  function overrides(opts) {
    const over = { ...opts.text };
    for (const key in opts) {
      const m = /^text([A-Z]\w*?)(Zero|One|Two|Few|Many|Other)?$/.exec(key);
      if (!m || typeof opts[key] !== "string") continue;
      const name = m[1][0].toLowerCase() + m[1].slice(1);
      if (m[2] && typeof EN[name] === "object")
        over[name] = { ...over[name], [m[2].toLowerCase()]: opts[key] };
      else over[name + (m[2] || "")] = opts[key];
    }
    return over;
  }

  function translator(lang, messages, over) {
    const plural = new Intl.PluralRules(lang);
    const pick = (text, n) =>
      text && typeof text === "object" ? text[plural.select(n)] || text.other : text;
    return (key, vars = {}) =>
      (
        pick(over[key], vars.n) ||
        pick(messages[key], vars.n) ||
        pick(EN[key], vars.n) ||
        key
      ).replace(/\{(\w+)\}/g, (_, name) => vars[name]);
  }

  function since(date, format) {
    const seconds = (date - Date.now()) / 1000;
    for (const [unit, size] of [
      ["year", 31536e3],
      ["month", 2592e3],
      ["week", 6048e2],
      ["day", 864e2],
      ["hour", 3600],
      ["minute", 60],
    ])
      if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
    return format.format(0, "second");
  }

  const button = (text, onclick, extra) =>
    h("button", { type: "button", cls: "cs-btn cs-link", onclick, text, ...extra });

  const hostOf = (url) => {
    try {
      return new URL(url).hostname;
    } catch (e) {
      return url;
    }
  };

  /* Mention photos are served by the service (fetched, resized, cached): a reader's browser
   * never calls the third-party host a sender named. Anything else gets the initial. */
  const ownImage = (url) => {
    try {
      return url && new URL(url, BASE).origin === ORIGIN ? new URL(url, BASE).href : null;
    } catch (e) {
      return null;
    }
  };

  /* An identicon may come as a path on the service (one without a public URL set): resolved
   * against where this script came from, never against the host page. */
  const avatar = (url, name, alt = "") => {
    const src = url && isHttp(url) ? new URL(url, BASE).href : null;
    return src
      ? h("img", {
          cls: "cs-av",
          src,
          alt,
          title: alt || null,
          width: 36,
          height: 36,
          loading: "lazy",
        })
      : h("span", { cls: "cs-av", "aria-hidden": "true", text: (name || "?")[0].toUpperCase() });
  };

  const person = (url, name) =>
    url && isHttp(url)
      ? h("a", { cls: "cs-n", href: url, rel: "nofollow ugc noopener", text: name })
      : h("span", { cls: "cs-n", text: name });

  /* The time, linked to the item's permalink as WordPress does. */
  const stamp = (ctx, iso, anchor) =>
    h(
      "a",
      { cls: "cs-pl", href: location.href.split("#")[0] + "#" + anchor, title: ctx.t("permalink") },
      h("time", {
        cls: "cs-m",
        datetime: iso,
        title: ctx.exact.format(new Date(iso)),
        text: since(new Date(iso), ctx.relative),
      }),
    );

  function language(opts) {
    try {
      return Intl.getCanonicalLocales(opts.lang || document.documentElement.lang || "en")[0];
    } catch (e) {
      return "en"; // a malformed tag from the page must not break the thread
    }
  }

  /* One widget: the context every function below shares (its elements, state and wording). */
  function mount(host, opts) {
    const canonical = document.querySelector("link[rel=canonical]");
    const lang = language(opts);
    const base = lang.split("-")[0].toLowerCase();
    const catalogue = LANGS.includes(base) ? base : "en";
    const rtl = RTL.includes(catalogue) || getComputedStyle(host).direction === "rtl";
    const over = overrides(opts);
    const sortKey = "commentsvc:sort:" + opts.site;
    const ctx = {
      host,
      over,
      lang,
      catalogue,
      site: opts.site,
      pageUrl: opts.url
        ? new URL(opts.url, location.href).href
        : (canonical && canonical.href) || location.href.split("#")[0],
      root: host.shadowRoot || host.attachShadow({ mode: "open" }),
      t: translator(lang, EN, over),
      byId: new Map(),
      sortKey,
      sort: SORTS.find((name) => name === store.get(sortKey)),
      fresh: [], // items from the stream the reader has not asked to see yet
      mentions: [],
      operator: false,
      state: { count: 0, loaded: 0, total: 0, next: null, site: null, title: null },
      rendering: Promise.resolve(),
      seq: 0,
      seeking: 0,
      reads: 0,
      counted: new Set(), // ids counted live that come with a later page
      live: h("div", { cls: "cs-sr", role: "status", "aria-live": "polite" }),
      heading: h("h2", { cls: "cs-count", tabindex: -1 }),
      notice: h("p", { cls: "cs-gone", role: "alert", hidden: true }),
      formSlot: h("div"),
      order: h("p", { cls: "cs-sort", hidden: true }),
      news: h("button", { type: "button", cls: "cs-new cs-btn cs-primary", hidden: true }),
      list: h("ol", { cls: "cs-list" }),
      more: h("button", { type: "button", cls: "cs-more cs-btn", hidden: true }),
      mentionBox: h("section", { cls: "cs-ms", hidden: true }),
      feed: h("p", { cls: "cs-feed" }),
    };
    const wrap = (ctx.wrap = h(
      "div",
      { cls: "cs", lang, dir: rtl ? "rtl" : null, "data-font": opts.font },
      ...[
        "live",
        "heading",
        "notice",
        "formSlot",
        "order",
        "news",
        "list",
        "more",
        "mentionBox",
        "feed",
      ].map((name) => ctx[name]),
    ));
    dress(ctx, opts.theme);
    setInterval(() => {
      // "now" ages into "2 minutes ago"
      for (const time of ctx.relative ? wrap.querySelectorAll("time") : [])
        time.textContent = since(new Date(time.dateTime), ctx.relative);
    }, 60000);
    ctx.heading.textContent = ctx.t("loading");
    ctx.more.addEventListener("click", () => loadMore(ctx));
    ctx.news.addEventListener("click", () => showFresh(ctx));
    addEventListener("hashchange", () => seek(ctx));
    const widget = { redraw: () => redraw(ctx) || role(ctx), host };
    widgets.add(widget);
    start(ctx);
    return widget;
  }

  /* The theme (the page's choice, else the reader's system, followed as it changes) and the
   * styles, into the shadow root with the widget. */
  function dress(ctx, choice) {
    const { wrap, root } = ctx;
    const dark = matchMedia("(prefers-color-scheme: dark)");
    const theme = () =>
      (wrap.dataset.theme = /^(light|dark)$/.test(choice)
        ? choice
        : dark.matches
          ? "dark"
          : "light");
    theme();
    dark.addEventListener("change", theme);
    try {
      // A constructed sheet is shared by every widget and passes a host page's strict CSP
      // (style-src without 'unsafe-inline'), which would block a <style> element.
      sheet = sheet || new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
      root.replaceChildren(wrap);
    } catch (e) {
      root.replaceChildren(h("style", { text: CSS }), wrap);
    }
  }

  const announce = (ctx, text) => {
    ctx.live.textContent = "";
    setTimeout(() => (ctx.live.textContent = text), 50);
  };

  /* "3 responses to “Title”" as WordPress words it; the count includes mentions. */
  function setCount(ctx, delta) {
    const s = ctx.state;
    s.count = Math.max(0, s.count + delta);
    ctx.heading.textContent = s.count
      ? ctx.t(s.title ? "heading" : "responses", { n: s.count, title: s.title })
      : ctx.t("headingNone");
  }

  const sitePath = (ctx, rest) => "api/sites/" + enc(ctx.site) + rest;

  const threadPath = (ctx, after) =>
    sitePath(ctx, "/thread?url=") +
    enc(ctx.pageUrl) +
    (ctx.sort ? "&sort=" + ctx.sort : "") +
    (after ? "&after=" + enc(after) : "");

  async function start(ctx) {
    const messages =
      ctx.catalogue === "en"
        ? EN
        : fetch(BASE + "embed/i18n/" + ctx.catalogue + ".json")
            .then((res) => (res.ok ? res.json() : EN))
            .catch(() => EN);
    let res;
    try {
      [res] = await Promise.all([api("GET", threadPath(ctx), null, {}, false), messages]);
    } catch (e) {
      ctx.heading.textContent = ctx.t("loadFailed");
      // For the site owner: a refused cross-origin read shows only as a network error.
      console.warn(
        "commentsvc: the thread of " + ctx.pageUrl + " could not be loaded from " + BASE +
          " (" + (e.message || "no answer") + "). Check that data-site=\"" + ctx.site +
          "\" names a site of the service and that " + location.origin +
          " is one of its origins (commentsvc site list)."
      );
      return;
    }
    const t = (ctx.t = translator(ctx.lang, await messages, ctx.over));
    ctx.relative = new Intl.RelativeTimeFormat(ctx.lang, { numeric: "auto" });
    ctx.exact = new Intl.DateTimeFormat(ctx.lang, { dateStyle: "long", timeStyle: "short" });
    ctx.wrap.setAttribute("role", "region");
    ctx.wrap.setAttribute("aria-label", t("comments"));
    const feed = "feeds/" + enc(ctx.site) + "/thread.atom?url=" + enc(ctx.pageUrl);
    ctx.feed.replaceChildren(
      h("a", { href: BASE + feed, type: "application/atom+xml", text: t("feed") }),
    );
    await show(ctx, res.data);
    redraw(ctx);
    sortControl(ctx);
    role(ctx);
    ctx.host.dispatchEvent(new CustomEvent("commentsvc:ready", { bubbles: true }));
    seek(ctx);
    watch(ctx);
  }

  /* Page 1 of the thread, in place of whatever is shown (first load, another order, reload). */
  async function show(ctx, data) {
    await ctx.rendering; // the last chunks of a previous page land before the list is emptied
    Object.assign(ctx.state, {
      site: data.site,
      count: data.thread.count,
      title: data.thread.title,
      loaded: 0,
    });
    Object.assign(ctx, { sort: data.sort, rev: data.thread.revision, mentions: data.mentions });
    ctx.byId.clear();
    ctx.counted.clear();
    ctx.list.replaceChildren();
    ctx.fresh = [];
    news(ctx);
    setCount(ctx, 0);
    const inline = data.site.mentions_display === "inline";
    renderPage(ctx, data, inline ? data.mentions.filter((m) => !FACES.includes(m.type)) : []);
    showMentions(ctx);
    await ctx.rendering;
    showOwnPending(ctx);
  }

  /* Page 1 again (a `reload`, another order). Only the latest read is shown; then the stream
   * opens again from that read's revision, so nothing that happened during it is lost even
   * when it came from the proxy's cache. `rev` (a reload's) asks past a copy older than it. */
  async function reread(ctx, rev) {
    const turn = ++ctx.reads;
    try {
      const path = threadPath(ctx) + (rev ? "&rev=" + rev : "");
      const { data } = await api("GET", path, null, {}, false);
      await ctx.rendering;
      if (turn !== ctx.reads) return false;
      await show(ctx, data);
      if (ctx.es) ctx.es = ctx.es.close();
      if (ctx.check) ctx.check();
      return true;
    } catch (e) {
      announce(ctx, ctx.t(e.network ? "network" : "loadFailed"));
    }
  }

  /* Oldest, newest or most voted first: the site's choice until the reader makes theirs. */
  function sortControl(ctx) {
    const select = h(
      "select",
      { id: "cs-o" },
      ...SORTS.map((name) =>
        h("option", { value: name, selected: name === ctx.sort, text: ctx.t("s_" + name) }),
      ),
    );
    select.addEventListener("change", () => {
      store.set(ctx.sortKey, (ctx.sort = select.value));
      reread(ctx).then((done) => done && announce(ctx, select.selectedOptions[0].text));
    });
    ctx.order.replaceChildren(h("label", { for: "cs-o", text: ctx.t("sortBy") }), " ", select);
    ctx.order.hidden = false;
  }

  /* Apart from the comments (or among them: see show()) replies and mentions as items; likes
   * and reposts as faces. Drawn again whenever one arrives or goes. */
  function showMentions(ctx) {
    const box = ctx.mentionBox;
    const items = ctx.mentions.filter((m) => !FACES.includes(m.type));
    box.replaceChildren();
    if (ctx.state.site.mentions_display !== "inline" && items.length)
      box.append(
        h("h3", { text: ctx.t("mentions", { n: items.length }) }),
        h("ol", { cls: "cs-list" }, ...items.map((m) => h("li", { cls: "cs-c" }, mention(ctx, m)))),
      );
    for (const type of FACES) {
      const some = ctx.mentions.filter((m) => m.type === type);
      if (some.length) box.append(faces(ctx, type, some));
    }
    box.hidden = !box.children.length;
  }

  /* Live: a stream only while the thread is on screen and the tab visible. */
  function watch(ctx) {
    const check = (ctx.check = () => {
      const want = ctx.seen && !document.hidden;
      if (want && !ctx.es && !(ctx.retryAt > Date.now())) listen(ctx);
      if (!want && ctx.es) ctx.es = ctx.es.close();
    });
    new IntersectionObserver((entries) => {
      ctx.seen = entries[entries.length - 1].isIntersecting;
      check();
    }).observe(ctx.host);
    document.addEventListener("visibilitychange", check);
  }

  /* The browser reconnects with Last-Event-ID by itself; a stream opened again starts from the
   * last revision seen (`since`). Refused, or failing three times running (blocked by CSP or
   * a proxy, the network down): closed and tried again ever more rarely, whatever asks. */
  function listen(ctx) {
    const path = threadPath(ctx).replace("/thread?", "/thread/events?");
    const es = (ctx.es = new EventSource(BASE + path + (ctx.rev != null ? "&since=" + ctx.rev : "")));
    let errors = 0;
    const on = (type, handle) =>
      es.addEventListener(type, (event) => {
        errors = 0;
        try {
          // Malformed data (never from this service) is left out, and the revision stays.
          const data = JSON.parse(event.data);
          if (!data || typeof data !== "object" || !(type === "reload" || data.id > 0)) return;
          handle(data);
          ctx.rev = +event.lastEventId || ctx.rev;
        } catch (e) {
          /* as malformed */
        }
      });
    on("comment", (c) => arrive(ctx, c, true));
    on("mention", (m) => arrive(ctx, m, true));
    on("edit", (c) => arrive(ctx, c));
    on("delete", (gone) => drop(ctx, gone));
    on("reload", (data) => reread(ctx, data.revision));
    es.onopen = () => (ctx.wait = 0); // errors count on: a stream cut at once is no better
    es.onerror = () => {
      if (ctx.es !== es || (es.readyState !== 2 && ++errors < 3)) return;
      ctx.es = es.close();
      ctx.wait = Math.min((ctx.wait || 5e3) * 2, 6e5);
      ctx.retryAt = Date.now() + ctx.wait;
      setTimeout(() => (ctx.retryAt = 0) || ctx.check(), ctx.wait);
    };
  }

  const same = (a, b) => a.id === b.id && !a.kind === !b.kind;

  /* Not shown to anyone but its author yet: held when posted (a held edit keeps the comment
   * counted and answerable). */
  const held = (c) => c.status === "pending" && !(own[c.id] && !own[c.id].pending);

  /* A comment that belongs to a page not loaded yet: a reply to a comment not shown, or a new
   * last one while later pages wait. It comes with its page. */
  const unloaded = (ctx, c) =>
    c.parent
      ? !ctx.byId.has(c.parent) && !ctx.fresh.some((f) => !f.kind && f.id === c.parent)
      : ctx.sort !== "newest" && !!ctx.state.next;

  /* Shown items change in place; new ones wait behind "2 new comments — show". */
  function arrive(ctx, item, isNew) {
    let entry = !item.kind && ctx.byId.get(item.id);
    if (entry && !entry.li.isConnected) {
      ctx.byId.delete(item.id); // removed earlier: it comes back as new
      entry = null;
    }
    const at = ctx.mentions.findIndex((m) => same(m, item));
    const waits = ctx.fresh.findIndex((f) => same(f, item));
    if (entry) {
      const was = entry.c;
      if (was.status === "deleted" ? item.status !== "deleted" : held(was) && !held(item)) {
        setCount(ctx, 1); // a held comment approved, a deleted one restored
        if (own[item.id]) delete own[item.id].pending;
        saveOwn();
      }
      entry.c = { ...was, ...item, replies: [] };
      redrawComment(ctx, entry);
    } else if (at >= 0) {
      const shown = ctx.list.querySelector("#mention-" + item.id);
      if (shown) shown.replaceWith(mention(ctx, item));
      ctx.mentions[at] = item;
      showMentions(ctx);
    } else if (waits >= 0) ctx.fresh[waits] = item;
    else if (isNew && !item.kind && unloaded(ctx, item)) {
      if (!ctx.counted.has(item.id)) setCount(ctx, 1);
      ctx.counted.add(item.id);
    } else if (isNew) {
      ctx.fresh.push(item);
      news(ctx);
    }
  }

  function news(ctx) {
    ctx.fresh = ctx.fresh.filter((f) => f.kind || !ctx.byId.has(f.id)); // own posts are shown
    if (ctx.posting) return;
    const n = ctx.fresh.length;
    ctx.news.hidden = !n;
    const key = ctx.fresh.some((f) => f.kind) ? "newResponses" : "newItems"; // likes too
    ctx.news.textContent = ctx.t(key, { n });
    if (n && n !== ctx.told) announce(ctx, ctx.news.textContent);
    ctx.told = n;
  }

  /* In their places (replies under their parents), with what the reader looks at kept still. */
  function showFresh(ctx) {
    const inView = (el) => el.getBoundingClientRect().top >= 0;
    const anchor = [...ctx.list.querySelectorAll("article")].find(inView);
    const top = anchor && anchor.getBoundingClientRect().top;
    const inline = ctx.state.site.mentions_display === "inline";
    let first;
    for (const item of ctx.fresh) {
      if (!item.kind && ctx.byId.has(item.id)) continue; // came with a page meanwhile
      setCount(ctx, 1);
      let li;
      if (item.kind) {
        ctx.mentions.push(item);
        if (inline && !FACES.includes(item.type))
          li = place(ctx, h("li", { cls: "cs-c" }, mention(ctx, item)));
      } else if (!item.parent || ctx.byId.has(item.parent)) li = insert(ctx, item);
      first = first || li;
    }
    showMentions(ctx);
    ctx.fresh = [];
    news(ctx);
    if (anchor) scrollBy(0, anchor.getBoundingClientRect().top - top);
    // The button is gone: focus moves to the first new item, else to the heading.
    (first ? first.firstChild : ctx.heading).focus({ preventScroll: true });
  }

  /* A comment taken away (deleted, hidden): a placeholder while replies hang under it. */
  function unshow(ctx, entry) {
    if (!held(entry.c)) setCount(ctx, -1);
    if (entry.replies.children.length) {
      entry.c = { ...entry.c, status: "deleted", html: "", author: {} };
      redrawComment(ctx, entry);
    } else {
      entry.li.remove();
      ctx.byId.delete(entry.c.id);
    }
  }

  function drop(ctx, gone) {
    ctx.fresh = ctx.fresh.filter((f) => !same(f, { ...gone, kind: gone.kind === "mention" }));
    news(ctx);
    if (gone.kind === "comment" && ctx.counted.delete(gone.id)) setCount(ctx, -1); // not shown
    const entry = gone.kind === "comment" && ctx.byId.get(gone.id);
    const mentions = ctx.mentions.filter((m) => m.id !== gone.id);
    if (gone.kind === "mention" && mentions.length < ctx.mentions.length) {
      const shown = ctx.list.querySelector("#mention-" + gone.id);
      if (shown) shown.parentNode.remove();
      ctx.mentions = mentions;
      showMentions(ctx);
      setCount(ctx, -1);
    }
    if (entry && entry.li.isConnected && entry.c.status !== "deleted") unshow(ctx, entry);
  }

  function faces(ctx, type, some) {
    const face = (m) => {
      const author = m.author || {};
      const name = author.name || hostOf(m.source);
      const href = [author.url, m.source].find((url) => url && isHttp(url));
      return h(
        "li",
        {},
        h(
          href ? "a" : "span",
          {
            id: "mention-" + m.id,
            href,
            rel: href && "nofollow ugc noopener",
            tabindex: href ? null : -1,
          },
          avatar(ownImage(author.photo), name, name),
        ),
      );
    };
    return h(
      "div",
      { cls: "cs-fc" },
      h("p", { cls: "cs-m", text: ctx.t(type + "s", { n: some.length }) }),
      h("ul", { cls: "cs-fl" }, ...some.map(face)),
    );
  }

  function mention(ctx, m) {
    const t = ctx.t;
    const author = m.author || {};
    const anchor = "mention-" + m.id;
    const name = m.author ? author.name || hostOf(author.url) : hostOf(m.source);
    const source = isHttp(m.source) && m.source;
    return h(
      "article",
      { cls: "cs-a cs-mn", id: anchor, tabindex: -1, "aria-label": name },
      h(
        "header",
        { cls: "cs-h" },
        m.author && avatar(ownImage(author.photo), name),
        m.author && person(author.url, name),
        h("span", { cls: "cs-pend", text: t("m_" + m.type) }),
        stamp(ctx, m.created, anchor),
      ),
      m.excerpt && h("p", { cls: "cs-b", text: m.excerpt }),
      h(
        "footer",
        { cls: "cs-ft" },
        source
          ? h("a", {
              href: source,
              rel: "nofollow ugc noopener",
              text: m.title || t("replyFrom", { site: hostOf(source) }),
            })
          : m.title,
        copyButton(ctx, anchor),
      ),
    );
  }

  const copyButton = (ctx, anchor) =>
    button(ctx.t("copyLink"), (event) => copyLink(ctx, anchor, event.target));

  async function copyLink(ctx, anchor, trigger) {
    const link = ctx.pageUrl + "#" + anchor;
    try {
      await navigator.clipboard.writeText(link);
    } catch (e) {
      // No clipboard API (plain http, an old browser, a denied permission): the old way.
      const box = h("textarea", { cls: "cs-hp", "aria-hidden": "true" });
      box.value = link;
      ctx.wrap.append(box);
      box.select();
      document.execCommand("copy");
      box.remove();
    }
    trigger.textContent = ctx.t("linkCopied");
    announce(ctx, ctx.t("linkCopied"));
    setTimeout(() => (trigger.textContent = ctx.t("copyLink")), 2000);
  }

  /* Permalinks: the ids live in the shadow root, out of the browser's reach, so the widget
   * follows #comment-N / #mention-N itself, loading later pages until it finds the item. */
  async function seek(ctx) {
    const match = /^#((comment|mention)-\d+)$/.exec(location.hash);
    const turn = ++ctx.seeking;
    if (!match || !ctx.state.site) return;
    const waits = (f) => (f.kind ? "mention-" : "comment-") + f.id === match[1];
    if (ctx.fresh.some(waits)) showFresh(ctx); // only behind "show" yet
    let found;
    for (;;) {
      await ctx.rendering;
      if (turn !== ctx.seeking) return; // a newer fragment took over
      found = ctx.root.getElementById(match[1]);
      if (found || match[2] !== "comment" || !ctx.state.next) break;
      if (!(await loadMore(ctx, true))) break;
    }
    ctx.notice.hidden = !!found;
    ctx.notice.textContent = found ? "" : ctx.t("gone");
    for (const old of ctx.root.querySelectorAll(".cs-target")) old.classList.remove("cs-target");
    if (!found) return ctx.notice.scrollIntoView({ block: "center" });
    found.classList.add("cs-target");
    found.focus({ preventScroll: true });
    // Twice: items above it render (content-visibility) as they near the viewport and move it.
    found.scrollIntoView({ block: "center" });
    requestAnimationFrame(() => found.scrollIntoView({ block: "center" }));
  }

  function renderPage(ctx, data, mentions) {
    const state = ctx.state;
    state.next = data.next;
    state.total = data.total_top_level;
    state.loaded += data.comments.length;
    // The server's order; inline mentions go among the comments by date.
    const by = ctx.sort === "newest" ? -1 : 1;
    const items = mentions.length
      ? [...data.comments, ...mentions].sort((a, b) => (a.created < b.created ? -by : by))
      : [...data.comments];
    const stack = items.reverse().map((item) => [item, ctx.list]);
    const first = stack.length ? stack[stack.length - 1][0] : null;
    const step = (budget) => {
      while (stack.length && budget--) {
        const [item, into] = stack.pop();
        if (ctx.byId.has(item.id) && !item.kind) continue; // arrived live before its page
        if (item.kind) {
          into.append(h("li", { cls: "cs-c" }, mention(ctx, item)));
          continue;
        }
        const [li, replies] = comment(ctx, item);
        into.append(li);
        for (let i = item.replies.length - 1; i >= 0; i--) stack.push([item.replies[i], replies]);
      }
    };
    step(FIRST_CHUNK);
    // The rest once the first screen has painted, in chunks that leave frames free.
    ctx.rendering = ctx.rendering.then(
      () =>
        new Promise((done) => {
          const tick = () => {
            step(CHUNK);
            if (stack.length) setTimeout(tick);
            else done();
          };
          const later = () =>
            setTimeout(() => {
              performance.mark("commentsvc:painted"); // bench/widget_render.py reads it
              tick();
            });
          if (document.hidden) later();
          else requestAnimationFrame(later);
        }),
    );
    ctx.more.hidden = !state.next;
    ctx.more.textContent = ctx.t("more", { n: Math.max(0, state.total - state.loaded) });
    return first;
  }

  /* The next page; `quiet` when a permalink asks (it moves focus itself). True on success. */
  async function loadMore(ctx, quiet) {
    const more = ctx.more;
    more.disabled = true;
    try {
      const { data } = await api("GET", threadPath(ctx, ctx.state.next), null, {}, false);
      await ctx.rendering; // the previous page's last top-level comments come first
      const first = renderPage(ctx, data, []);
      ctx.rendering.then(() => news(ctx)); // what waited behind "show" and came with the page
      const entry = first && ctx.byId.get(first.id);
      if (entry && !quiet) entry.li.firstChild.focus();
      if (!quiet) announce(ctx, ctx.t("moreLoaded"));
      return true;
    } catch (e) {
      announce(ctx, ctx.t(e.network ? "network" : "loadFailed"));
      return false;
    } finally {
      more.disabled = false;
    }
  }

  function comment(ctx, c) {
    const li = h("li", { cls: c.pinned ? "cs-c cs-pin" : "cs-c" });
    const replies = h("ol", { cls: c.depth >= INDENT_CAP ? "cs-r cs-flat" : "cs-r" });
    const entry = { c, li, replies };
    ctx.byId.set(c.id, entry);
    ctx.counted.delete(c.id);
    li.append(article(ctx, entry), replies);
    return [li, replies];
  }

  function article(ctx, entry) {
    const { c } = entry;
    const t = ctx.t;
    const gone = c.status === "deleted";
    const name = gone ? t("deletedName") : (c.author && c.author.name) || t("anonymous");
    const mine = own[c.id];
    const foot = h("footer", { cls: "cs-ft" });
    const node = h(
      "article",
      { cls: "cs-a", id: "comment-" + c.id, tabindex: -1, "aria-label": name },
      commentHeader(ctx, entry, name, gone),
      gone
        ? h("p", { cls: "cs-b cs-m", text: t("deleted") })
        : h("div", { cls: "cs-b" }, clean(c.html)),
      foot,
    );
    if (!gone && !held(c))
      foot.append(
        ...[
          ctx.state.site.votes && !mine && voteButton(ctx, entry),
          button(t("reply"), (event) => openReply(ctx, entry, event.target), {
            "aria-expanded": "false",
          }),
          copyButton(ctx, "comment-" + c.id),
          ctx.operator &&
            !c.depth &&
            button(t(c.pinned ? "unpin" : "pin"), () => pin(ctx, entry), {
              cls: "cs-btn cs-link cs-pn",
            }),
        ].filter(Boolean),
      );
    const left = mine ? Date.parse(mine.until) - Date.now() : 0;
    if (!gone && left > 0) {
      foot.append(
        button(t("edit"), () => startEdit(ctx, entry)),
        button(t("delete"), () => confirmDelete(ctx, entry, foot)),
      );
      const later = () => entry.li.isConnected && redrawComment(ctx, entry);
      setTimeout(later, Math.min(left, 2 ** 31 - 1));
    }
    return node;
  }

  function commentHeader(ctx, entry, name, gone) {
    const { c } = entry;
    const t = ctx.t;
    const author = (!gone && c.author) || {};
    const parent = c.depth > INDENT_CAP && ctx.byId.get(c.parent);
    const via = (ctx.state.site.providers || []).find((p) => p.id === author.provider);
    return h(
      "header",
      { cls: "cs-h" },
      avatar(author.avatar, gone ? "" : name),
      person(author.url, name),
      author.provider &&
        h("span", {
          cls: "cs-pend",
          title: t("via", { name: via ? via.name : author.provider }),
          text: via ? via.name : author.provider,
        }),
      parent &&
        h("span", { cls: "cs-m", text: t("inReplyTo", { name: parent.c.author.name || "" }) }),
      stamp(ctx, c.created, "comment-" + c.id),
      c.edited &&
        h("span", {
          cls: "cs-m",
          title: ctx.exact.format(new Date(c.edited)),
          text: t("edited"),
        }),
      c.status === "pending" && h("span", { cls: "cs-pend", text: t("pending") }),
      c.pinned && h("span", { cls: "cs-pend cs-pinned", text: t("pinned") }),
    );
  }

  function voteButton(ctx, entry) {
    const vote = h("button", { type: "button", cls: "cs-btn cs-vote" });
    const paint = () => {
      vote.setAttribute("aria-pressed", !!votes[entry.c.id]);
      vote.setAttribute("aria-label", ctx.t("upvote", { n: entry.c.score }));
      vote.textContent = "▲ " + entry.c.score;
    };
    vote.addEventListener("click", async () => {
      const id = entry.c.id;
      if (vote.ariaDisabled) return; // one vote in flight at a time
      vote.ariaDisabled = "true";
      try {
        const path = "api/comments/" + id + "/vote";
        const headers = { "X-Commentsvc-Voter": voter() };
        const { data } = await api("PUT", path, { value: votes[id] ? 0 : 1 }, headers);
        votes[id] = data.value || undefined;
        store.set(VOTES_KEY, votes);
        entry.c.score = data.score; // others see it once the thread's counts refresh
        paint();
      } catch (e) {
        announce(ctx, e.network ? ctx.t("network") : e.message);
      }
      vote.ariaDisabled = null;
    });
    paint();
    return vote;
  }

  /* Operators pin a top-level comment: it moves up among the pinned at once; unpinned, the
   * thread is read again to find its place (others see either on their next read). */
  async function pin(ctx, entry) {
    const id = entry.c.id;
    try {
      const { data } = await api("PUT", "api/comments/" + id + "/pin", { pinned: !entry.c.pinned });
      entry.c.pinned = data.pinned;
      redrawComment(ctx, entry);
      if (data.pinned)
        ctx.list.insertBefore(entry.li, ctx.list.querySelector(":scope > :not(.cs-pin)"));
      else await reread(ctx);
      const now = ctx.byId.get(id);
      (now ? now.li.querySelector(".cs-pn") : ctx.heading).focus();
    } catch (e) {
      announce(ctx, e.network ? ctx.t("network") : e.message);
    }
  }

  /* Whether the signed-in reader operates this site (then comments offer Pin). A plain read:
   * it neither renews nor forgets the token (a failed renewal is for a post to report). */
  async function role(ctx) {
    const was = ctx.operator;
    const me =
      auth.token() &&
      (await fetch(BASE + "api/me", { headers: auth.header() })
        .then((res) => (res.ok ? res.json() : null))
        .catch(() => null));
    ctx.operator = !!(me && me.operator);
    if (was !== ctx.operator)
      for (const entry of ctx.byId.values()) if (entry.li.isConnected) redrawComment(ctx, entry);
  }

  /* Drawn again (an edit, an approval, a pin): focus stays on the same button. */
  function redrawComment(ctx, entry) {
    const old = entry.li.firstChild;
    const was = ctx.root.activeElement;
    const node = article(ctx, entry);
    entry.li.classList.toggle("cs-pin", !!entry.c.pinned);
    old.replaceWith(node);
    if (!old.contains(was)) return;
    const twin = [...node.querySelectorAll("button")].find(
      (b) =>
        b.className === was.className &&
        (b.matches(".cs-vote") || b.textContent === was.textContent),
    );
    (twin || node).focus();
  }

  /* A new top-level item: last, or in newest order first after the pinned ones. */
  const place = (ctx, li) =>
    ctx.list.insertBefore(
      li,
      ctx.sort === "newest" ? ctx.list.querySelector(":scope > :not(.cs-pin)") : null,
    );

  function insert(ctx, c) {
    const parent = c.parent && ctx.byId.get(c.parent);
    const [li] = comment(ctx, { replies: [], ...c });
    if (parent) parent.replies.append(li);
    else place(ctx, li);
    return li;
  }

  function showOwnPending(ctx) {
    for (const id in own) {
      const pending = own[id].pending;
      if (!pending || own[id].url !== ctx.pageUrl) continue;
      if (ctx.byId.has(pending.id)) delete own[id].pending;
      else insert(ctx, pending);
    }
    saveOwn();
  }

  function redraw(ctx) {
    if (!ctx.state.site) return;
    const draft = ctx.formSlot.querySelector("textarea");
    ctx.formSlot.replaceChildren(form(ctx, {}));
    if (draft) ctx.formSlot.querySelector("textarea").value = draft.value;
  }

  function field(ctx, label, input, note) {
    const id = "cs-f" + ++ctx.seq;
    input.id = id;
    input.setAttribute("aria-describedby", note ? id + "e " + id + "n" : id + "e");
    return h(
      "p",
      { cls: input.type === "checkbox" ? "cs-fd cs-ck" : "cs-fd" },
      h("label", { for: id, text: label }),
      input,
      note && h("span", { cls: "cs-m", id: id + "n", text: note }),
      h("span", { cls: "cs-fe", id: id + "e" }),
    );
  }

  /* The comment form: a new comment ("Leave a reply"), a reply ({parent}) or an edit ({entry}). */
  function form(ctx, opts) {
    const { parent, entry, onCancel } = opts;
    const t = ctx.t;
    const account = auth.token() && auth.rec.account;
    const fields = {};
    const input = (name, attrs) =>
      (fields[name] = h(name === "body" ? "textarea" : "input", { name, ...attrs }));
    const body = input("body", { rows: parent || entry ? 3 : 4 });
    const submit = h("button", {
      type: "submit",
      cls: "cs-btn cs-primary",
      text: t(entry ? "save" : parent ? "postReply" : "post"),
    });
    const title = parent
      ? t("replyTo", { name: parent.c.author.name || t("anonymous") })
      : !entry && t("leaveReply");
    const el = h("form", { cls: "cs-form", novalidate: true, "aria-label": title || null });
    const error = h("p", { cls: "cs-err", role: "alert" });
    const parts = { el, fields, body, submit, error, shown: Date.now() };
    el.addEventListener("submit", (event) => send(ctx, opts, parts, event));
    body.value = entry ? own[entry.c.id].body || "" : "";
    body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) el.requestSubmit();
      if (event.key === "Escape" && onCancel) onCancel();
    });
    if (title) el.append(h("h3", { cls: "cs-lr", text: title }));
    if (!entry) el.append(signInBar(ctx, account));
    if (!(entry || account || ctx.state.site.guests)) return el;
    const pane = h("div", { cls: "cs-b cs-pv", hidden: true });
    el.append(field(ctx, t("comment"), body, t("markdown")), pane);
    if (!entry && !account && ctx.state.site.guests) el.append(guestFields(ctx, input));
    if (!entry)
      el.append(
        field(ctx, t("notify"), input("notify", { type: "checkbox" })),
        h(
          "p",
          { cls: "cs-hp", "aria-hidden": "true" },
          h("label", { text: t("hp") }, input("hp", { tabindex: -1, autocomplete: "off" })),
        ),
      );
    el.append(
      error,
      h(
        "p",
        { cls: "cs-actions" },
        submit,
        previewToggle(ctx, body, pane),
        onCancel && button(t("cancel"), onCancel),
      ),
    );
    return el;
  }

  function guestFields(ctx, input) {
    const t = ctx.t;
    const saved = store.get(GUEST_KEY) || {};
    return h(
      "div",
      { cls: "cs-guest" },
      field(
        ctx,
        t("name"),
        input("name", { autocomplete: "name", maxlength: 80, value: saved.name }),
      ),
      field(
        ctx,
        t("email"),
        input("email", { type: "email", autocomplete: "email", value: saved.email }),
      ),
      field(
        ctx,
        t("website"),
        input("website", { type: "url", autocomplete: "url", value: saved.website }),
      ),
    );
  }

  function previewToggle(ctx, body, pane) {
    const t = ctx.t;
    const toggle = button(t("preview"), async () => {
      pane.hidden = !pane.hidden;
      body.hidden = !pane.hidden;
      toggle.textContent = t(pane.hidden ? "preview" : "write"); // the label says the state
      if (pane.hidden) return;
      pane.replaceChildren(t(body.value.trim() ? "rendering" : "nothing"));
      if (!body.value.trim()) return;
      try {
        // The server renders it, so the preview is exactly what posting will store.
        const path = sitePath(ctx, "/preview");
        const { data } = await api("POST", path, { body: body.value }, {}, false);
        pane.replaceChildren(clean(data.html));
      } catch (e) {
        pane.replaceChildren(e.network ? t("network") : e.message);
      }
    });
    return toggle;
  }

  async function send(ctx, opts, parts, event) {
    const { parent, entry, onCancel } = opts;
    const { el, fields, error, submit, body, shown } = parts;
    event.preventDefault();
    error.textContent = "";
    for (const name in fields) {
      fields[name].removeAttribute("aria-invalid");
      const note = el.querySelector("#" + fields[name].id + "e");
      if (note) note.textContent = "";
    }
    submit.disabled = true;
    try {
      if (entry) await saveEdit(ctx, entry, body.value);
      else await post(ctx, parent, fields, body.value, Date.now() - shown);
      if (onCancel) onCancel(true);
      else el.replaceWith(form(ctx, {}));
    } catch (e) {
      const target = e.field && fields[e.field];
      const text = e.network ? ctx.t("network") : e.expired ? ctx.t("expired") : e.message;
      if (target) {
        target.setAttribute("aria-invalid", "true");
        el.querySelector("#" + target.id + "e").textContent = text;
        target.focus();
      } else if (e.expired && !parent && !entry) {
        redraw(ctx); // the same draft, now with the guest fields or sign-in buttons
        ctx.formSlot.querySelector(".cs-err").textContent = text;
      } else error.textContent = text;
    }
    submit.disabled = false;
    news(ctx);
  }

  function signInBar(ctx, account) {
    const t = ctx.t;
    const s = ctx.state.site;
    if (account)
      return h(
        "p",
        { cls: "cs-who" },
        t("signedInAs", { name: account.name || "" }),
        " ",
        button(t("signOut"), signOut),
      );
    const note = h("span", { cls: "cs-m", role: "alert" });
    return h(
      "p",
      { cls: "cs-who" },
      !s.guests && h("span", { text: t("signInToComment") }),
      ...(s.providers || []).map((p) =>
        h("button", {
          type: "button",
          cls: "cs-btn",
          text: t("signInWith", { name: p.name }),
          onclick: () => signIn(p.id, ctx.site, () => (note.textContent = t("popupBlocked"))),
        }),
      ),
      note,
    );
  }

  async function post(ctx, parent, fields, text, elapsed) {
    const payload = { url: ctx.pageUrl, body: text, elapsed_ms: elapsed };
    let target = parent; // past the site's deepest level a reply joins its parent's replies
    while (target && target.c.depth >= ctx.state.site.max_depth)
      target = ctx.byId.get(target.c.parent);
    if (target) payload.parent = target.c.id;
    payload.notify = fields.notify.checked;
    payload.hp = fields.hp.value;
    const guest = {};
    for (const name of ["name", "email", "website"])
      if (fields[name] && fields[name].value.trim())
        guest[name] = payload[name] = fields[name].value.trim();
    if (fields.name) store.set(GUEST_KEY, guest);
    await ctx.rendering;
    const path = sitePath(ctx, "/comments");
    ctx.posting = true; // the stream may bring this very comment before the answer does
    // The voter token too: this browser may not vote for its own comment.
    const { status, data } = await api("POST", path, payload, {
      "X-Commentsvc-Voter": voter(),
    }).finally(() => (ctx.posting = false));
    const held = status === 202 || data.status === "pending";
    const c = { ...data, status: held ? "pending" : data.status, replies: [] };
    own[c.id] = {
      token: data.edit_token,
      until: data.editable_until,
      body: text,
      url: ctx.pageUrl,
      at: Date.now(),
      pending: held ? c : null,
    };
    saveOwn();
    insert(ctx, c);
    if (!held) setCount(ctx, 1);
    announce(ctx, ctx.t(held ? "held" : "posted"));
  }

  function openReply(ctx, entry, trigger) {
    const open = entry.li.querySelector(":scope > .cs-form");
    if (open) return open.querySelector("textarea").focus();
    const close = () => {
      replyForm.remove();
      trigger.setAttribute("aria-expanded", "false");
      trigger.focus();
    };
    const replyForm = form(ctx, { parent: entry, onCancel: close });
    entry.li.insertBefore(replyForm, entry.replies);
    trigger.setAttribute("aria-expanded", "true");
    replyForm.querySelector("textarea").focus();
  }

  const editHeaders = (id) => (own[id] && own[id].token ? { "X-Edit-Token": own[id].token } : {});

  function startEdit(ctx, entry) {
    const body = entry.li.firstChild.querySelector(".cs-b");
    const done = (saved) => {
      if (!saved) editForm.replaceWith(body);
      entry.li.firstChild.querySelector("button").focus();
    };
    const editForm = form(ctx, { entry, onCancel: done });
    body.replaceWith(editForm);
    editForm.querySelector("textarea").focus();
  }

  async function saveEdit(ctx, entry, text) {
    const id = entry.c.id;
    const { status, data } = await api(
      "PATCH",
      "api/comments/" + id,
      { body: text },
      editHeaders(id),
    );
    own[id].body = text;
    saveOwn();
    entry.c = { ...entry.c, ...data, replies: [] };
    redrawComment(ctx, entry);
    announce(ctx, ctx.t(status === 202 ? "editHeld" : "updated"));
  }

  function confirmDelete(ctx, entry, foot) {
    const t = ctx.t;
    const restore = [...foot.childNodes];
    const remove = async () => {
      try {
        await api("DELETE", "api/comments/" + entry.c.id, null, editHeaders(entry.c.id));
      } catch (e) {
        foot.replaceChildren(
          ...restore,
          h("span", { cls: "cs-fe", role: "alert", text: e.network ? t("network") : e.message }),
        );
        return;
      }
      unshow(ctx, entry);
      delete own[entry.c.id];
      saveOwn();
      announce(ctx, t("removed"));
    };
    foot.replaceChildren(
      h("span", { text: t("confirmDelete") }),
      " ",
      button(t("delete"), remove),
      button(t("cancel"), () => foot.replaceChildren(...restore)),
    );
    foot.querySelector("button").focus();
  }

  function init(opts = {}) {
    if (document.readyState === "loading")
      return document.addEventListener("DOMContentLoaded", () => init(opts));
    let host = opts.target || "comments";
    if (typeof host === "string")
      try {
        host = document.getElementById(host.replace(/^#/, "")) || document.querySelector(host);
      } catch (e) {
        host = null;
      }
    if (!host || !opts.site)
      return console.error("commentsvc: needs data-site and a target element");
    if (!mounted.has(host)) mounted.set(host, mount(host, opts));
    return mounted.get(host);
  }

  const global = window.commentsvc || (window.commentsvc = { init });
  if (me && me.dataset.site) global.init({ ...me.dataset });
})();
