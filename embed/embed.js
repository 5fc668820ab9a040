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

  function translator(lang, messages) {
    const plural = new Intl.PluralRules(lang);
    return (key, vars = {}) => {
      let text = messages[key] || EN[key] || key;
      if (typeof text === "object") text = text[plural.select(vars.n)] || text.other;
      return text.replace(/\{(\w+)\}/g, (_, name) => vars[name]);
    };
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

  function mount(host, opts) {
    const site = opts.site;
    const canonical = document.querySelector("link[rel=canonical]");
    const pageUrl = opts.url
      ? new URL(opts.url, location.href).href
      : (canonical && canonical.href) || location.href.split("#")[0];
    let lang = opts.lang || document.documentElement.lang || "en";
    try {
      lang = Intl.getCanonicalLocales(lang)[0];
    } catch (e) {
      lang = "en"; // a malformed tag from the page must not break the thread
    }
    const catalogue = LANGS.includes(lang.split("-")[0].toLowerCase())
      ? lang.split("-")[0].toLowerCase()
      : "en";
    const root = host.shadowRoot || host.attachShadow({ mode: "open" });
    const live = h("div", { cls: "cs-sr", role: "status", "aria-live": "polite" });
    const heading = h("h2", { cls: "cs-count" });
    const formSlot = h("div");
    const list = h("ol", { cls: "cs-list" });
    const more = h("button", { type: "button", cls: "cs-more cs-btn", hidden: true });
    const mentionBox = h("section", { cls: "cs-ms", hidden: true });
    const wrap = h("div", { cls: "cs" }, live, heading, formSlot, list, more, mentionBox);
    const dark = matchMedia("(prefers-color-scheme: dark)");
    const theme = () =>
      (wrap.dataset.theme = /^(light|dark)$/.test(opts.theme)
        ? opts.theme
        : dark.matches
          ? "dark"
          : "light");
    const byId = new Map();
    const state = { count: 0, loaded: 0, total: 0, next: null, site: null };
    let t = translator(lang, EN);
    let relative, exact;
    let rendering = Promise.resolve();
    let seq = 0;

    theme();
    dark.addEventListener("change", theme);
    setInterval(() => {
      for (const time of relative ? wrap.querySelectorAll("time") : [])
        time.textContent = since(new Date(time.dateTime), relative); // "now" ages into "2 minutes ago"
    }, 60000);
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
    wrap.lang = lang;
    heading.textContent = t("loading");
    more.addEventListener("click", loadMore);

    const announce = (text) => {
      live.textContent = "";
      setTimeout(() => (live.textContent = text), 50);
    };
    const setCount = (delta) => {
      state.count = Math.max(0, state.count + delta);
      heading.textContent = t("responses", { n: state.count });
    };
    const threadPath = (after) =>
      "api/sites/" +
      enc(site) +
      "/thread?url=" +
      enc(pageUrl) +
      (after ? "&after=" + enc(after) : "");

    async function start() {
      const messages =
        catalogue === "en"
          ? EN
          : fetch(BASE + "embed/i18n/" + catalogue + ".json")
              .then((res) => (res.ok ? res.json() : EN))
              .catch(() => EN);
      let res;
      try {
        [res] = await Promise.all([api("GET", threadPath(), null, {}, false), messages]);
      } catch (e) {
        heading.textContent = t("loadFailed");
        return;
      }
      t = translator(lang, await messages);
      relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
      exact = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" });
      const data = res.data;
      state.site = data.site;
      state.count = data.thread.count;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", t("comments"));
      setCount(0);
      redraw();
      const inline = data.site.mentions_display === "inline";
      renderPage(data, inline ? data.mentions : []);
      if (!inline && data.mentions.length) {
        mentionBox.append(
          h("h3", { text: t("mentions", { n: data.mentions.length }) }),
          h("ol", { cls: "cs-list" }, ...data.mentions.map((m) => h("li", {}, mention(m)))),
        );
        mentionBox.hidden = false;
      }
      await rendering;
      showOwnPending();
      host.dispatchEvent(new CustomEvent("commentsvc:ready", { bubbles: true }));
    }

    function renderPage(data, mentions) {
      state.next = data.next;
      state.total = data.total_top_level;
      state.loaded += data.comments.length;
      const items = [...data.comments, ...mentions].sort((a, b) =>
        a.created < b.created ? -1 : a.created > b.created ? 1 : 0,
      );
      const stack = items.reverse().map((item) => [item, list]);
      const first = stack.length ? stack[stack.length - 1][0] : null;
      const step = (budget) => {
        while (stack.length && budget--) {
          const [item, into] = stack.pop();
          if (item.kind) {
            into.append(h("li", { cls: "cs-c" }, mention(item)));
            continue;
          }
          const [li, replies] = comment(item);
          into.append(li);
          for (let i = item.replies.length - 1; i >= 0; i--) stack.push([item.replies[i], replies]);
        }
      };
      step(FIRST_CHUNK);
      // The rest once the first screen has painted, in chunks that leave frames free.
      rendering = rendering.then(
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
      more.hidden = !state.next;
      more.textContent = t("more", { n: Math.max(0, state.total - state.loaded) });
      return first;
    }

    async function loadMore() {
      more.disabled = true;
      try {
        const { data } = await api("GET", threadPath(state.next), null, {}, false);
        await rendering; // the previous page's last top-level comments come first
        const first = renderPage(data, []);
        const entry = first && byId.get(first.id);
        if (entry) entry.li.firstChild.focus();
        announce(t("moreLoaded"));
      } catch (e) {
        announce(t(e.network ? "network" : "loadFailed"));
      }
      more.disabled = false;
    }

    function comment(c) {
      const li = h("li", { cls: "cs-c" });
      const replies = h("ol", { cls: c.depth >= INDENT_CAP ? "cs-r cs-flat" : "cs-r" });
      const entry = { c, li, replies };
      byId.set(c.id, entry);
      li.append(article(entry), replies);
      return [li, replies];
    }

    function article(entry) {
      const c = entry.c;
      const author = c.author || {};
      const gone = c.status === "deleted";
      const name = gone ? t("deletedName") : author.name || t("anonymous");
      const parent = c.depth > INDENT_CAP && byId.get(c.parent);
      const mine = own[c.id];
      const created = new Date(c.created);
      const via = (state.site.providers || []).find((p) => p.id === author.provider);
      const foot = h("footer", { cls: "cs-ft" });
      const node = h(
        "article",
        { cls: "cs-a", tabindex: -1, "aria-label": name },
        h(
          "header",
          { cls: "cs-h" },
          author.avatar && isHttp(author.avatar) && !gone
            ? h("img", {
                cls: "cs-av",
                src: author.avatar,
                alt: "",
                width: 36,
                height: 36,
                loading: "lazy",
              })
            : h("span", { cls: "cs-av" }),
          author.url && isHttp(author.url) && !gone
            ? h("a", { cls: "cs-n", href: author.url, rel: "nofollow ugc noopener", text: name })
            : h("span", { cls: "cs-n", text: name }),
          author.provider &&
            !gone &&
            h("span", {
              cls: "cs-pend",
              title: t("via", { name: via ? via.name : author.provider }),
              text: via ? via.name : author.provider,
            }),
          parent &&
            h("span", { cls: "cs-m", text: t("inReplyTo", { name: parent.c.author.name || "" }) }),
          h("time", {
            cls: "cs-m",
            datetime: c.created,
            title: exact.format(created),
            text: since(created, relative),
          }),
          c.edited &&
            h("span", { cls: "cs-m", title: exact.format(new Date(c.edited)), text: t("edited") }),
          c.status === "pending" && h("span", { cls: "cs-pend", text: t("pending") }),
        ),
        gone
          ? h("p", { cls: "cs-b cs-m", text: t("deleted") })
          : h("div", { cls: "cs-b" }, clean(c.html)),
        foot,
      );
      if (!gone && c.status !== "pending")
        foot.append(
          button(t("reply"), (event) => openReply(entry, event.target), {
            "aria-expanded": "false",
          }),
        );
      const left = mine ? Date.parse(mine.until) - Date.now() : 0;
      if (!gone && left > 0) {
        foot.append(
          button(t("edit"), () => startEdit(entry)),
          button(t("delete"), () => confirmDelete(entry, foot)),
        );
        setTimeout(() => entry.li.isConnected && redrawComment(entry), Math.min(left, 2 ** 31 - 1));
      }
      return node;
    }

    const button = (text, onclick, extra) =>
      h("button", { type: "button", cls: "cs-btn cs-link", onclick, text, ...extra });

    function redrawComment(entry) {
      entry.li.firstChild.replaceWith(article(entry));
    }

    function mention(m) {
      const author = m.author && m.author.name;
      return h(
        "article",
        { cls: "cs-a cs-mn" },
        h(
          "header",
          { cls: "cs-h" },
          h("span", { cls: "cs-pend", text: t("m_" + m.type) }),
          author && h("span", { cls: "cs-n", text: author }),
          h("time", {
            cls: "cs-m",
            datetime: m.created,
            title: exact.format(new Date(m.created)),
            text: since(new Date(m.created), relative),
          }),
        ),
        h(
          "p",
          {},
          isHttp(m.source)
            ? h("a", { href: m.source, rel: "nofollow ugc noopener", text: m.title || m.source })
            : m.title,
        ),
        m.excerpt && h("p", { cls: "cs-m", text: m.excerpt }),
      );
    }

    function insert(c) {
      const parent = c.parent && byId.get(c.parent);
      const [li] = comment({ replies: [], ...c });
      (parent ? parent.replies : list).append(li);
      return li;
    }

    function showOwnPending() {
      for (const id in own) {
        const pending = own[id].pending;
        if (!pending || own[id].url !== pageUrl) continue;
        if (byId.has(pending.id)) delete own[id].pending;
        else insert(pending);
      }
      saveOwn();
    }

    function redraw() {
      if (!state.site) return;
      const draft = formSlot.querySelector("textarea");
      formSlot.replaceChildren(form({}));
      if (draft) formSlot.querySelector("textarea").value = draft.value;
    }

    function field(label, input, note) {
      const id = "cs-f" + ++seq;
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

    /* The comment form: a new comment, a reply ({parent}), or an edit ({entry}). */
    function form({ parent, entry, onCancel }) {
      const s = state.site;
      const account = auth.token() && auth.rec.account;
      const canPost = entry || account || s.guests;
      const shown = Date.now();
      const saved = store.get(GUEST_KEY) || {};
      const fields = {};
      const input = (name, attrs) =>
        (fields[name] = h(name === "body" ? "textarea" : "input", { name, ...attrs }));
      const error = h("p", { cls: "cs-err", role: "alert" });
      const body = input("body", { rows: parent || entry ? 3 : 4 });
      const pane = h("div", { cls: "cs-b cs-pv", hidden: true });
      const toggle = button(t("preview"), async () => {
        pane.hidden = !pane.hidden;
        body.hidden = !pane.hidden;
        toggle.textContent = t(pane.hidden ? "preview" : "write"); // the label says the state
        if (pane.hidden) return;
        pane.replaceChildren(t(body.value.trim() ? "rendering" : "nothing"));
        if (!body.value.trim()) return;
        try {
          // The server renders it, so the preview is exactly what posting will store.
          const path = "api/sites/" + enc(site) + "/preview";
          const { data } = await api("POST", path, { body: body.value }, {}, false);
          pane.replaceChildren(clean(data.html));
        } catch (e) {
          pane.replaceChildren(e.network ? t("network") : e.message);
        }
      });
      const submit = h("button", {
        type: "submit",
        cls: "cs-btn cs-primary",
        text: t(entry ? "save" : parent ? "postReply" : "post"),
      });
      const el = h("form", { cls: "cs-form", novalidate: true, onsubmit: send });
      body.value = entry ? own[entry.c.id].body || "" : "";
      body.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) el.requestSubmit();
        if (event.key === "Escape" && onCancel) onCancel();
      });
      if (!entry) el.append(signInBar(account));
      if (canPost) {
        el.append(field(t("comment"), body, t("markdown")), pane);
        if (!entry && !account && s.guests)
          el.append(
            h(
              "div",
              { cls: "cs-guest" },
              field(
                t("name"),
                input("name", { autocomplete: "name", maxlength: 80, value: saved.name }),
              ),
              field(
                t("email"),
                input("email", { type: "email", autocomplete: "email", value: saved.email }),
              ),
              field(
                t("website"),
                input("website", { type: "url", autocomplete: "url", value: saved.website }),
              ),
            ),
          );
        if (!entry)
          el.append(
            field(t("notify"), input("notify", { type: "checkbox" })),
            h(
              "p",
              { cls: "cs-hp", "aria-hidden": "true" },
              h("label", { text: t("hp") }, input("hp", { tabindex: -1, autocomplete: "off" })),
            ),
          );
        el.append(
          error,
          h("p", { cls: "cs-actions" }, submit, toggle, onCancel && button(t("cancel"), onCancel)),
        );
      }

      async function send(event) {
        event.preventDefault();
        error.textContent = "";
        for (const name in fields) {
          fields[name].removeAttribute("aria-invalid");
          const note = el.querySelector("#" + fields[name].id + "e");
          if (note) note.textContent = "";
        }
        submit.disabled = true;
        try {
          if (entry) await saveEdit(entry, body.value);
          else await post(parent, fields, body.value, Date.now() - shown);
          if (onCancel) onCancel(true);
          else el.replaceWith(form({}));
        } catch (e) {
          const target = e.field && fields[e.field];
          const text = e.network ? t("network") : e.expired ? t("expired") : e.message;
          if (target) {
            target.setAttribute("aria-invalid", "true");
            el.querySelector("#" + target.id + "e").textContent = text;
            target.focus();
          } else if (e.expired && !parent && !entry) {
            redraw(); // the same draft, now with the guest fields or sign-in buttons
            formSlot.querySelector(".cs-err").textContent = text;
          } else error.textContent = text;
        }
        submit.disabled = false;
      }
      return el;
    }

    function signInBar(account) {
      const s = state.site;
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
            onclick: () => signIn(p.id, site, () => (note.textContent = t("popupBlocked"))),
          }),
        ),
        note,
      );
    }

    async function post(parent, fields, text, elapsed) {
      const payload = { url: pageUrl, body: text, elapsed_ms: elapsed };
      let target = parent; // past the site's deepest level a reply joins its parent's replies
      while (target && target.c.depth >= state.site.max_depth) target = byId.get(target.c.parent);
      if (target) payload.parent = target.c.id;
      payload.notify = fields.notify.checked;
      payload.hp = fields.hp.value;
      const guest = {};
      for (const name of ["name", "email", "website"])
        if (fields[name] && fields[name].value.trim())
          guest[name] = payload[name] = fields[name].value.trim();
      if (fields.name) store.set(GUEST_KEY, guest);
      await rendering;
      const { status, data } = await api("POST", "api/sites/" + enc(site) + "/comments", payload);
      const held = status === 202 || data.status === "pending";
      const c = { ...data, status: held ? "pending" : data.status, replies: [] };
      own[c.id] = {
        token: data.edit_token,
        until: data.editable_until,
        body: text,
        url: pageUrl,
        at: Date.now(),
        pending: held ? c : null,
      };
      saveOwn();
      insert(c);
      if (!held) setCount(1);
      announce(t(held ? "held" : "posted"));
    }

    function openReply(entry, trigger) {
      const open = entry.li.querySelector(":scope > .cs-form");
      if (open) return open.querySelector("textarea").focus();
      const close = () => {
        replyForm.remove();
        trigger.setAttribute("aria-expanded", "false");
        trigger.focus();
      };
      const replyForm = form({ parent: entry, onCancel: close });
      entry.li.insertBefore(replyForm, entry.replies);
      trigger.setAttribute("aria-expanded", "true");
      replyForm.querySelector("textarea").focus();
    }

    const editHeaders = (id) => (own[id] && own[id].token ? { "X-Edit-Token": own[id].token } : {});

    function startEdit(entry) {
      const body = entry.li.firstChild.querySelector(".cs-b");
      const done = (saved) => {
        if (!saved) editForm.replaceWith(body);
        entry.li.firstChild.querySelector("button").focus();
      };
      const editForm = form({ entry, onCancel: done });
      body.replaceWith(editForm);
      editForm.querySelector("textarea").focus();
    }

    async function saveEdit(entry, text) {
      const { status, data } = await api(
        "PATCH",
        "api/comments/" + entry.c.id,
        { body: text },
        editHeaders(entry.c.id),
      );
      own[entry.c.id].body = text;
      saveOwn();
      entry.c = { ...entry.c, ...data, replies: [] };
      redrawComment(entry);
      announce(t(status === 202 ? "editHeld" : "updated"));
    }

    function confirmDelete(entry, foot) {
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
        if (entry.c.status !== "pending") setCount(-1);
        if (entry.replies.children.length) {
          entry.c = { ...entry.c, status: "deleted", html: "" };
          redrawComment(entry);
        } else entry.li.remove();
        announce(t("removed"));
      };
      foot.replaceChildren(
        h("span", { text: t("confirmDelete") }),
        " ",
        button(t("delete"), remove),
        button(t("cancel"), () => foot.replaceChildren(...restore)),
      );
      foot.querySelector("button").focus();
    }

    const widget = { redraw, host };
    widgets.add(widget);
    start();
    return widget;
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
