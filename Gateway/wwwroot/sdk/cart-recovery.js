/*
 * CartRecovery storefront SDK (plain script, no build step; defines window.CartRecovery).
 *
 *   <script src="https://YOUR-GATEWAY/sdk/cart-recovery.js"></script>
 *   <script>
 *     CartRecovery.init({
 *       endpoint: "https://YOUR-GATEWAY",   // "" or omitted: same origin as the page
 *       getToken: async () => "eyJ...",      // optional; a shopper token your backend minted for your own
 *                                            //   customer id with Auth:ShopperTokenKey, asked for again
 *                                            //   before it expires. Without it: an anonymous visitor.
 *       onNudge: (nudge) => {},              // optional; called for every new nudge
 *       onNudgeClick: (nudge) => {},         // optional; default: go to cartUrl
 *       cartUrl: "/cart",                    // optional; where the popup's button leads
 *       renderNudges: true,                  // optional; false: no built-in popup
 *       stylesUrl: "...",                    // optional; popup CSS (default: endpoint + /sdk/cart-recovery.css)
 *       signalrUrl: "...",                   // optional; SignalR client if window.signalR is absent
 *                                            //   (default: endpoint + /lib/signalr.min.js)
 *     });
 *     CartRecovery.track("add_to_cart", {
 *       cart_id: "c-123",
 *       item: { sku: "SKU-1", name: "Mug", price: 12.5, currency: "EUR", quantity: 1 },
 *     });
 *   </script>
 *
 * track(type, fields) fills event_id, shopper_id, session_id, occurred_at and device, and returns a
 * promise of { accepted, field?, reason? } once the gateway has acknowledged the event. Events are
 * queued (and kept in sessionStorage) while the connection is down, and sent in order once it is back.
 * The gateway times browser events itself (occurred_at is when it receives them) and refuses
 * purchases from a browser: report orders from your store backend (POST /v1/events, X-Api-Key).
 *
 * An anonymous visitor's token is kept in localStorage and renewed with itself (Authorization:
 * Bearer) before it expires, or up to a day after; a token too old to renew starts a new visitor.
 * A session ends after 30 minutes without events; the next event starts a new one (session_start).
 *
 * Also: identify({ id, email }), setConsent(marketing), flush(), status(), shopperId(), sessionId(),
 * onStatus(callback) with "connecting" | "connected" | "reconnecting" | "disconnected".
 */
(function () {
  "use strict";

  const SESSION_IDLE_MS = 30 * 60 * 1000;
  const MAX_QUEUE = 500;
  const BATCH = 50;
  const KEYS = { shopper: "cr.shopper_id", token: "cr.token", session: "cr.session", queue: "cr.queue", seen: "cr.nudges_seen" };

  let opts = null;
  let connection = null;
  let token = null; // { token, shopper_id, expires_at }
  let shopper = null;
  let queue = []; // [{ event, resolve }]
  let pumping = false;
  let inFlight = 0; // events at the head of the queue being sent
  let status = "disconnected";
  const statusListeners = [];
  let initPromise = null;

  // ---- small helpers -------------------------------------------------------------------------

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function read(store, key) {
    try {
      return JSON.parse(store.getItem(key));
    } catch {
      return null;
    }
  }

  function write(store, key, value) {
    try {
      store.setItem(key, JSON.stringify(value));
    } catch {
      /* storage full or blocked: the SDK still works for this page */
    }
  }

  function device() {
    const ua = navigator.userAgent || "";
    if (/iPad|Tablet/i.test(ua) || (/Android/i.test(ua) && !/Mobi/i.test(ua))) return "tablet";
    if (/Mobi|iPhone|Android/i.test(ua)) return "mobile";
    return "desktop";
  }

  function setStatus(next) {
    status = next;
    for (const fn of statusListeners) {
      try {
        fn(next);
      } catch (e) {
        console.error("CartRecovery status listener failed", e);
      }
    }
  }

  function url(path) {
    return (opts.endpoint || "").replace(/\/+$/, "") + path;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`CartRecovery: could not load ${src}`));
      document.head.appendChild(s);
    });
  }

  function delay(ms) {
    return new Promise((r) => setTimeout(r, ms));
  }

  // ---- identity and session ------------------------------------------------------------------

  /** A JWT's claims (no checks: the gateway checks it). */
  function claims(jwt) {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  }

  function postShopperToken(bearer) {
    const headers = { "Content-Type": "application/json" };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    return fetch(url("/v1/shopper-token"), { method: "POST", headers, body: "{}" });
  }

  /**
   * A visitor token: the kept one renewed with itself (proof of being that visitor), or, when there
   * is none or it is too old to renew (401), a new visitor.
   */
  async function visitorToken() {
    const kept = token || read(localStorage, KEYS.token);
    let res = await postShopperToken(kept && kept.token);
    if (res.status === 401 && kept) {
      write(localStorage, KEYS.token, null);
      res = await postShopperToken(null);
    }
    if (!res.ok) throw new Error(`shopper-token: HTTP ${res.status}`);
    const fresh = await res.json();
    write(localStorage, KEYS.token, fresh);
    return fresh;
  }

  /** A token the store backend minted (opts.getToken): a string, or { token }. */
  async function storeToken() {
    const t = await opts.getToken();
    const jwt = typeof t === "string" ? t : t && t.token;
    if (!jwt) throw new Error("getToken returned no token");
    const c = claims(jwt);
    return { token: jwt, shopper_id: c.shopper_id, expires_at: new Date(c.exp * 1000).toISOString() };
  }

  async function fetchToken() {
    for (let attempt = 0; ; attempt++) {
      try {
        token = typeof opts.getToken === "function" ? await storeToken() : await visitorToken();
        shopper = token.shopper_id;
        write(localStorage, KEYS.shopper, shopper);
        return token.token;
      } catch (e) {
        console.warn("CartRecovery: token request failed, retrying", e);
        await delay(Math.min(30000, 500 * 2 ** attempt));
      }
    }
  }

  /** The current token, renewed a minute before it expires (used by SignalR on every (re)connect). */
  async function currentToken() {
    const expires = token ? Date.parse(token.expires_at) : 0;
    if (!token || !(expires - Date.now() > 60000)) return fetchToken();
    return token.token;
  }

  /** Returns the session id, starting a new session (and queueing session_start) after 30 idle minutes. */
  function touchSession() {
    const now = Date.now();
    let s = read(localStorage, KEYS.session);
    const fresh = !s || !s.id || now - s.last > SESSION_IDLE_MS;
    if (fresh) s = { id: uuid() };
    s.last = now;
    write(localStorage, KEYS.session, s);
    if (fresh) {
      enqueue(build("session_start", { page: { url: location.href } }, s.id));
    }
    return s.id;
  }

  // ---- queue ---------------------------------------------------------------------------------

  function build(type, fields, sessionId) {
    return Object.assign({}, fields, {
      event_id: uuid(),
      type,
      shopper_id: shopper || undefined,
      session_id: sessionId,
      occurred_at: new Date().toISOString(),
      device: (fields && fields.device) || device(),
    });
  }

  function persistQueue() {
    write(sessionStorage, KEYS.queue, queue.map((q) => q.event));
  }

  function enqueue(event) {
    return new Promise((resolve) => {
      queue.push({ event, resolve });
      if (queue.length > MAX_QUEUE) {
        // Drop the oldest event that is not being sent right now.
        const [dropped] = queue.splice(inFlight, 1);
        dropped.resolve({ accepted: false, reason: "dropped: offline queue full" });
      }
      persistQueue();
      pump();
    });
  }

  function settle(count, ack) {
    const sent = queue.splice(0, count);
    persistQueue();
    const rejected = new Map(((ack && ack.rejected) || []).map((r) => [r.index, r]));
    sent.forEach((q, i) => {
      const r = rejected.get(i);
      if (r) console.warn(`CartRecovery: ${q.event.type} rejected: ${r.field} ${r.reason}`);
      q.resolve(r ? { accepted: false, field: r.field, reason: r.reason } : { accepted: true });
    });
  }

  function connected() {
    return connection && connection.state === signalR.HubConnectionState.Connected;
  }

  /**
   * Sends queued events in order while connected. A send that fails because the connection dropped
   * leaves the events queued (their event_ids make the resend safe); a call the server refuses is
   * retried one event at a time so that only the event it cannot take is dropped.
   */
  async function pump() {
    if (pumping || !connected()) return;
    pumping = true;
    let size = BATCH;
    try {
      while (queue.length > 0 && connected()) {
        const batch = queue.slice(0, size);
        inFlight = batch.length;
        // Sent with this browser's token: they are its shopper's (a new visitor's, if the old token could not be renewed).
        for (const q of batch) q.event.shopper_id = shopper;
        const events = batch.map((q) => q.event);
        try {
          const ack = events.length === 1
            ? await connection.invoke("Track", events[0])
            : await connection.invoke("TrackBatch", events);
          settle(batch.length, ack);
        } catch (e) {
          if (!connected()) break;
          if (/rate limit/i.test(e.message)) {
            setTimeout(pump, 1000);
            break;
          }
          if (size > 1) {
            size = 1;
            continue;
          }
          settle(1, { rejected: [{ index: 0, field: "event", reason: e.message }] });
          size = BATCH;
        }
      }
    } finally {
      inFlight = 0;
      pumping = false;
    }
  }

  // ---- connection ----------------------------------------------------------------------------

  const retryPolicy = {
    // Never give up: 0.5 s, 1 s, 2 s ... capped at 30 s, with jitter. A refused token is renewed.
    nextRetryDelayInMilliseconds: (ctx) => {
      if (ctx.retryReason && ctx.retryReason.statusCode === 401) token = null;
      return Math.min(30000, 500 * 2 ** ctx.previousRetryCount) * (0.8 + Math.random() * 0.4);
    },
  };

  async function start() {
    for (let attempt = 0; ; attempt++) {
      try {
        setStatus("connecting");
        await connection.start();
        setStatus("connected");
        pump();
        return;
      } catch (e) {
        setStatus("disconnected");
        await delay(retryPolicy.nextRetryDelayInMilliseconds({ previousRetryCount: attempt, retryReason: e }));
      }
    }
  }

  function connect() {
    connection = new signalR.HubConnectionBuilder()
      .withUrl(url("/hubs/shopper"), { accessTokenFactory: currentToken })
      .withAutomaticReconnect(retryPolicy)
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    connection.on("nudge", onNudge);
    connection.onreconnecting(() => setStatus("reconnecting"));
    connection.onreconnected(() => {
      setStatus("connected");
      pump();
    });
    connection.onclose(() => {
      setStatus("disconnected");
      start();
    });
    return start();
  }

  // ---- nudges --------------------------------------------------------------------------------

  function seen() {
    return read(localStorage, KEYS.seen) || [];
  }

  function markSeen(id) {
    const list = seen().filter((x) => x !== id);
    list.push(id);
    write(localStorage, KEYS.seen, list.slice(-100));
  }

  function onNudge(nudge) {
    if (!nudge || !nudge.nudge_id || seen().includes(nudge.nudge_id)) return; // re-sent on reconnect
    if (document.querySelector(`[data-nudge-id="${CSS.escape(nudge.nudge_id)}"]`)) return;
    if (typeof opts.onNudge === "function") {
      try {
        opts.onNudge(nudge);
      } catch (e) {
        console.error("CartRecovery onNudge failed", e);
      }
    }
    if (opts.renderNudges !== false) showNudge(nudge);
  }

  function respond(type, nudge) {
    markSeen(nudge.nudge_id);
    return track(type, { cart_id: nudge.cart_id, nudge: { nudge_id: nudge.nudge_id } });
  }

  function money(value, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "EUR" }).format(value);
    } catch {
      return `${Number(value).toFixed(2)} ${currency || ""}`.trim();
    }
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  /** The popup's styles come from a file next to this script (a CSP without 'unsafe-inline' allows that). */
  function loadStyles() {
    if (document.getElementById("crn-styles")) return;
    const href = opts.stylesUrl || url("/sdk/cart-recovery.css");
    document.head.appendChild(el("link", { id: "crn-styles", rel: "stylesheet", href }));
  }

  /** Shows the accessible popup: focus moves in and stays in; Escape or the close button dismisses. */
  function showNudge(nudge) {
    loadStyles();
    const id = `crn-${uuid()}`;
    const previous = document.activeElement;
    const lines = (nudge.lines || []).slice(0, 5).map((l) =>
      el("li", {}, el("span", { text: `${l.quantity} × ${l.name || l.sku}` }), el("span", { text: money(l.price * l.quantity, nudge.currency) })));
    const close = el("button", { type: "button", class: "crn-close", "aria-label": "Close", "data-testid": "nudge-close", text: "×" });
    const later = el("button", { type: "button", class: "crn-later", "data-testid": "nudge-later", text: "Not now" });
    const cta = el("button", { type: "button", class: "crn-cta", "data-testid": "nudge-cta", text: "Complete my order" });
    const dialog = el("div", {
      class: "crn-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": `${id}-title`,
      "aria-describedby": `${id}-msg`, "data-testid": "nudge-popup", "data-nudge-id": nudge.nudge_id, tabindex: "-1",
    },
    close,
    el("h2", { id: `${id}-title`, text: nudge.title || "Still thinking it over?" }),
    el("p", { id: `${id}-msg`, text: nudge.message || "Your cart is waiting for you." }),
    nudge.incentive_code ? el("p", {}, "Use code ", el("span", { class: "crn-code", "data-testid": "nudge-code", text: nudge.incentive_code })) : null,
    lines.length ? el("ul", { class: "crn-lines", "aria-label": "Items in your cart" }, ...lines) : null,
    nudge.cart_value ? el("p", { text: `Cart total: ${money(nudge.cart_value, nudge.currency)}` }) : null,
    el("div", { class: "crn-actions" }, later, cta));
    const backdrop = el("div", { class: "crn-backdrop" }, dialog);

    function finish(type) {
      document.removeEventListener("keydown", onKey, true);
      backdrop.remove();
      respond(type, nudge);
      if (type === "nudge_clicked") {
        if (typeof opts.onNudgeClick === "function") opts.onNudgeClick(nudge);
        else if (opts.cartUrl) location.assign(opts.cartUrl);
      } else if (previous && typeof previous.focus === "function") {
        previous.focus();
      }
    }

    function onKey(e) {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation(); // the page's own Escape handlers stay out of it
        finish("nudge_dismissed");
      } else if (e.key === "Tab") {
        const focusable = [...dialog.querySelectorAll("button")];
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (!dialog.contains(document.activeElement)) {
          e.preventDefault();
          first.focus();
        } else if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    }

    close.addEventListener("click", () => finish("nudge_dismissed"));
    later.addEventListener("click", () => finish("nudge_dismissed"));
    cta.addEventListener("click", () => finish("nudge_clicked"));
    backdrop.addEventListener("click", (e) => {
      if (e.target === backdrop) finish("nudge_dismissed");
    });
    document.addEventListener("keydown", onKey, true);
    document.body.appendChild(backdrop);
    cta.focus();
    respond("nudge_shown", nudge);
  }

  // ---- public API ----------------------------------------------------------------------------

  function track(type, fields) {
    if (!opts) throw new Error("CartRecovery.init must be called before track");
    const sessionId = touchSession();
    return enqueue(build(type, fields || {}, sessionId));
  }

  function init(options) {
    if (initPromise) return initPromise;
    opts = Object.assign({ endpoint: "" }, options);
    shopper = read(localStorage, KEYS.shopper) || null;
    const pending = read(sessionStorage, KEYS.queue) || [];
    queue = pending.map((event) => ({ event, resolve: () => {} }));
    touchSession();
    loadStyles();
    initPromise = (async () => {
      if (!window.signalR) await loadScript(opts.signalrUrl || url("/lib/signalr.min.js"));
      await currentToken();
      await connect();
      return api;
    })();
    return initPromise;
  }

  const api = {
    init,
    track,
    identify: (customer) => track("identify", { customer }),
    setConsent: (marketing) => track("consent", { consent: { marketing: !!marketing } }),
    flush: () => pump(),
    status: () => status,
    onStatus: (fn) => statusListeners.push(fn),
    shopperId: () => shopper,
    sessionId: () => (read(localStorage, KEYS.session) || {}).id || null,
    pending: () => queue.length,
  };

  window.CartRecovery = api;
})();
