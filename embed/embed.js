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
 * the thread (start, mentions, pages, permalinks), one item (comment, mention), and the form
 * with sign-in.
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

  const avatar = (src, name, alt = "") =>
    src && isHttp(src)
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
      state: { count: 0, loaded: 0, total: 0, next: null, site: null, title: null },
      rendering: Promise.resolve(),
      seq: 0,
      seeking: 0,
      live: h("div", { cls: "cs-sr", role: "status", "aria-live": "polite" }),
      heading: h("h2", { cls: "cs-count" }),
      notice: h("p", { cls: "cs-gone", role: "alert", hidden: true }),
      formSlot: h("div"),
      list: h("ol", { cls: "cs-list" }),
      more: h("button", { type: "button", cls: "cs-more cs-btn", hidden: true }),
      mentionBox: h("section", { cls: "cs-ms", hidden: true }),
      feed: h("p", { cls: "cs-feed" }),
    };
    const wrap = (ctx.wrap = h(
      "div",
      { cls: "cs", lang, dir: rtl ? "rtl" : null, "data-font": opts.font },
      ...["live", "heading", "notice", "formSlot", "list", "more", "mentionBox", "feed"].map(
        (name) => ctx[name],
      ),
    ));
    const dark = matchMedia("(prefers-color-scheme: dark)");
    const theme = () =>
      (wrap.dataset.theme = /^(light|dark)$/.test(opts.theme)
        ? opts.theme
        : dark.matches
          ? "dark"
          : "light");
    theme();
    dark.addEventListener("change", theme);
    setInterval(() => {
      // "now" ages into "2 minutes ago"
      for (const time of ctx.relative ? wrap.querySelectorAll("time") : [])
        time.textContent = since(new Date(time.dateTime), ctx.relative);
    }, 60000);
    try {
      // A constructed sheet is shared by every widget and passes a host page's strict CSP
      // (style-src without 'unsafe-inline'), which would block a <style> element.
      sheet = sheet || new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(CSS);
      ctx.root.adoptedStyleSheets = [sheet];
      ctx.root.replaceChildren(wrap);
    } catch (e) {
      ctx.root.replaceChildren(h("style", { text: CSS }), wrap);
    }
    ctx.heading.textContent = ctx.t("loading");
    ctx.more.addEventListener("click", () => loadMore(ctx));
    addEventListener("hashchange", () => seek(ctx));
    const widget = { redraw: () => redraw(ctx), host };
    widgets.add(widget);
    start(ctx);
    return widget;
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

  const threadPath = (ctx, after) =>
    "api/sites/" +
    enc(ctx.site) +
    "/thread?url=" +
    enc(ctx.pageUrl) +
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
      return;
    }
    const t = (ctx.t = translator(ctx.lang, await messages, ctx.over));
    ctx.relative = new Intl.RelativeTimeFormat(ctx.lang, { numeric: "auto" });
    ctx.exact = new Intl.DateTimeFormat(ctx.lang, { dateStyle: "long", timeStyle: "short" });
    const data = res.data;
    Object.assign(ctx.state, {
      site: data.site,
      count: data.thread.count,
      title: data.thread.title,
    });
    ctx.wrap.setAttribute("role", "region");
    ctx.wrap.setAttribute("aria-label", t("comments"));
    setCount(ctx, 0);
    const feed = "feeds/" + enc(ctx.site) + "/thread.atom?url=" + enc(ctx.pageUrl);
    ctx.feed.replaceChildren(
      h("a", { href: BASE + feed, type: "application/atom+xml", text: t("feed") }),
    );
    redraw(ctx);
    showMentions(ctx, data);
    await ctx.rendering;
    showOwnPending(ctx);
    ctx.host.dispatchEvent(new CustomEvent("commentsvc:ready", { bubbles: true }));
    seek(ctx);
  }

  /* Replies and mentions as items (apart, or among the comments); likes and reposts as faces. */
  function showMentions(ctx, data) {
    const box = ctx.mentionBox;
    const inline = ctx.state.site.mentions_display === "inline";
    const items = data.mentions.filter((m) => !FACES.includes(m.type));
    renderPage(ctx, data, inline ? items : []);
    if (!inline && items.length)
      box.append(
        h("h3", { text: ctx.t("mentions", { n: items.length }) }),
        h("ol", { cls: "cs-list" }, ...items.map((m) => h("li", { cls: "cs-c" }, mention(ctx, m)))),
      );
    for (const type of FACES) {
      const some = data.mentions.filter((m) => m.type === type);
      if (some.length) box.append(faces(ctx, type, some));
    }
    box.hidden = !box.children.length;
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
    const items = [...data.comments, ...mentions].sort((a, b) =>
      a.created < b.created ? -1 : a.created > b.created ? 1 : 0,
    );
    const stack = items.reverse().map((item) => [item, ctx.list]);
    const first = stack.length ? stack[stack.length - 1][0] : null;
    const step = (budget) => {
      while (stack.length && budget--) {
        const [item, into] = stack.pop();
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
    const li = h("li", { cls: "cs-c" });
    const replies = h("ol", { cls: c.depth >= INDENT_CAP ? "cs-r cs-flat" : "cs-r" });
    const entry = { c, li, replies };
    ctx.byId.set(c.id, entry);
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
    if (!gone && c.status !== "pending")
      foot.append(
        button(t("reply"), (event) => openReply(ctx, entry, event.target), {
          "aria-expanded": "false",
        }),
        copyButton(ctx, "comment-" + c.id),
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
    );
  }

  function redrawComment(ctx, entry) {
    entry.li.firstChild.replaceWith(article(ctx, entry));
  }

  function insert(ctx, c) {
    const parent = c.parent && ctx.byId.get(c.parent);
    const [li] = comment(ctx, { replies: [], ...c });
    (parent ? parent.replies : ctx.list).append(li);
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
        const path = "api/sites/" + enc(ctx.site) + "/preview";
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
    const path = "api/sites/" + enc(ctx.site) + "/comments";
    const { status, data } = await api("POST", path, payload);
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
      delete own[entry.c.id];
      saveOwn();
      if (entry.c.status !== "pending") setCount(ctx, -1);
      if (entry.replies.children.length) {
        entry.c = { ...entry.c, status: "deleted", html: "" };
        redrawComment(ctx, entry);
      } else entry.li.remove();
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
