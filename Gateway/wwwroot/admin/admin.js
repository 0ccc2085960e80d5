// Admin dashboard: login, live tiles and charts from the /hubs/admin snapshots, and the REST panels
// (cart lookup, recovery report, policy editor). Plain ES module; needs ../lib/signalr.min.js.
import { lineChart, calibrationPlot, importanceBars } from "./charts.js";
import { renderCart, renderReport } from "./panels.js";

const AUTH_KEY = "cr.admin";
const MAX_HISTORY = 300;
const MAX_FEED = 50;

const $ = (sel) => document.querySelector(sel);
const num = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);
const ms = (v) => (v === null || v === undefined ? "–" : `${num(v, 2)} ms`);
const pp = (v) => `${v >= 0 ? "+" : "−"}${Math.abs(100 * v).toFixed(1)}`;

let auth = JSON.parse(sessionStorage.getItem(AUTH_KEY) || "null");
let hub = null;
let policyVersion = null;
const history = new Map(); // at (ms) -> point, bounded to MAX_HISTORY

// ---- auth and REST ---------------------------------------------------------------------------

function loggedIn() {
  return auth && Date.parse(auth.expires_at) > Date.now();
}

async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { Authorization: `Bearer ${auth.token}`, "Content-Type": "application/json", ...(init.headers || {}) },
  });
  if (res.status === 401) {
    logout("Your session has expired. Please sign in again.");
    throw new Error("unauthorized");
  }
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: text };
  }
  return { ok: res.ok, status: res.status, body };
}

async function login(e) {
  e.preventDefault();
  $("#login-error").textContent = "";
  const res = await fetch("/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("#login-user").value, password: $("#login-password").value }),
  });
  if (!res.ok) {
    $("#login-error").textContent = res.status === 401 ? "Wrong user name or password." : `Sign-in failed (HTTP ${res.status}).`;
    return;
  }
  auth = { ...(await res.json()), user: $("#login-user").value };
  sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  $("#login-password").value = "";
  showDashboard();
}

function logout(message) {
  auth = null;
  sessionStorage.removeItem(AUTH_KEY);
  if (hub) hub.stop();
  hub = null;
  $("#dashboard").hidden = true;
  $("#login-view").hidden = false;
  $("#logout").hidden = true;
  $("#orleans-dashboard").hidden = true;
  fetch("/v1/auth/logout", { method: "POST" }).catch(() => {});
  $("#live").hidden = true;
  $("#who").textContent = "";
  $("#login-error").textContent = message || "";
  $("#login-user").focus();
}

// ---- live tiles ------------------------------------------------------------------------------

const TILES = [
  ["silos", "Silos", (s) => [s.silos.length, s.silos.map((x) => `${x.silo_id} ${x.status.toLowerCase()} (${x.activations} activations)`).join(", "), s.silos.some((x) => x.status !== "Active")]],
  ["activations", "Activations", (s) => {
    const entries = Object.entries(s.activations || {});
    return [entries.reduce((sum, [, n]) => sum + n, 0), entries.map(([k, n]) => `${k} ${n}`).join(" · ")];
  }],
  ["events-per-sec", "Events / s", (s) => [s.events_per_sec, "", false, 1]],
  ["call-latency", "Shopper batch p99", (s) => [s.call_p99_ms, `p50 ${ms(s.call_p50_ms)} · p99 ${ms(s.call_p99_ms)}`, false, 2, "ms"]],
  ["commit-latency", "Storage commit p99", (s) => [s.commit_p99_ms, "", false, 1, "ms"]],
  ["errors", "Errors", (s) => [s.errors, "", s.errors > 0]],
  ["kafka-lag", "Kafka lag", (s) => [s.kafka_lag, "messages behind", s.kafka_lag > 1000]],
  ["active-carts", "Active carts", (s) => [s.active_carts]],
  ["carts-at-risk", "Carts at risk", (s) => [s.carts_at_risk]],
  ["nudges-sent", "Nudges sent", (s) => {
    const n = s.nudges || {};
    return [n.sent, `shown ${num(n.shown)} · clicked ${num(n.clicked)}`];
  }],
  ["recovery", "Recovery uplift", (s) => {
    const r = s.recovery || {};
    const ci = r.uplift_ci95 ? ` · 95% CI ${pp(r.uplift_ci95[0])} to ${pp(r.uplift_ci95[1])} pp` : "";
    return [r.uplift === null || r.uplift === undefined ? null : 100 * r.uplift,
      `nudged ${pct(r.treatment_rate)} vs control ${pct(r.control_rate)}${ci}`, false, 1, "pp"];
  }],
  ["recovered-revenue", "Recovered revenue", (s) => [s.recovered_revenue, "", false, 2]],
];

function buildTiles() {
  const root = $("#tiles");
  root.replaceChildren();
  for (const [id, label] of TILES) {
    const tile = document.createElement("article");
    tile.className = "tile";
    tile.dataset.testid = `tile-${id}`;
    tile.innerHTML = `<h3></h3><p class="value">–</p><p class="sub"></p>`;
    tile.querySelector("h3").textContent = label;
    root.append(tile);
  }
}

function renderTiles(s) {
  for (const [id, , compute] of TILES) {
    const tile = document.querySelector(`[data-testid="tile-${id}"]`);
    const [value, sub = "", warn = false, digits = 0, unit = ""] = compute(s);
    if (id === "kafka-lag") tile.hidden = value === null || value === undefined;
    const v = tile.querySelector(".value");
    v.textContent = `${num(value, digits)}${unit && value !== null && value !== undefined ? ` ${unit}` : ""}`;
    v.dataset.value = value ?? "";
    tile.querySelector(".sub").textContent = sub;
    tile.classList.toggle("warn", !!warn);
  }
}

function remember(s) {
  const points = [...(s.history || []), { at: s.at, events_per_sec: s.events_per_sec, recovered_revenue: s.recovered_revenue, call_p99_ms: s.call_p99_ms }];
  for (const p of points) {
    const t = Date.parse(p.at);
    if (!Number.isNaN(t)) history.set(t, p);
  }
  const keys = [...history.keys()].sort((a, b) => a - b);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_HISTORY))) history.delete(k);
  return keys.slice(-MAX_HISTORY);
}

function onSnapshot(s) {
  $("#snapshot-at").textContent = new Date(s.at).toLocaleTimeString();
  renderTiles(s);
  const keys = remember(s);
  const series = (field) => keys.map((t) => ({ t, v: Number(history.get(t)[field]) || 0 }));
  lineChart($("#chart-events"), series("events_per_sec"), "#2563eb");
  lineChart($("#chart-revenue"), series("recovered_revenue"), "#16a34a");
  const m = s.model || {};
  $("#model-version").textContent = m.version || "";
  $("#model-auc").textContent = m.auc === null || m.auc === undefined ? "not evaluated" : m.auc.toFixed(3);
  calibrationPlot($("#calibration"), m.calibration);
  importanceBars($("#importance"), m.feature_importance);
}

/** Adds a nudge to the live feed (newest first, at most MAX_FEED rows, one row per nudge_id). */
function onNudge(n, { append = false } = {}) {
  const feed = $("#feed");
  if ([...feed.children].some((r) => r.dataset.nudgeId === n.nudge_id)) return;
  const stage = n.stage || (n.nudge_id || "").split(":").pop();
  const offer = [n.variant, n.incentive_code].filter(Boolean).join(" · ");
  const row = document.createElement("tr");
  row.dataset.nudgeId = n.nudge_id;
  for (const c of [new Date(n.created_at).toLocaleTimeString(), n.cart_id, stage, offer, `${num(n.cart_value, 2)} ${n.currency || ""}`, n.channel]) {
    const td = document.createElement("td");
    td.textContent = c ?? "";
    row.append(td);
  }
  row.children[1].className = "id";
  row.children[1].title = `shopper ${n.shopper_id}, cart ${n.cart_id}`;
  const score = typeof n.score === "number" ? `risk ${n.score.toFixed(2)}` : "";
  row.title = [n.title, n.message, n.reason, score].filter(Boolean).join(" — ");
  if (append) feed.append(row);
  else feed.prepend(row);
  while (feed.children.length > MAX_FEED) feed.lastElementChild.remove();
  $("#feed-empty").hidden = true;
}

/** Fills the feed with the gateway's recent nudges (newest first) so it is not empty on open. */
async function loadRecentNudges() {
  const res = await api("/v1/nudges/recent");
  if (res.ok && Array.isArray(res.body)) for (const n of res.body) onNudge(n, { append: true });
}

function setLive(state) {
  const live = $("#live");
  live.hidden = false;
  live.textContent = state;
  live.dataset.state = state;
}

async function connectHub() {
  const conn = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/admin", { accessTokenFactory: () => auth.token })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (c) => Math.min(30000, 1000 * 2 ** c.previousRetryCount) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  hub = conn;
  conn.on("snapshot", onSnapshot);
  conn.on("nudge", (n) => onNudge(n));
  conn.onreconnecting(() => setLive("reconnecting"));
  conn.onreconnected(() => setLive("live"));
  conn.onclose(() => hub === conn && setLive("offline"));
  for (let attempt = 0; hub === conn; attempt++) {
    setLive("connecting");
    try {
      await conn.start();
      setLive("live");
      return;
    } catch {
      setLive("offline");
      if (!loggedIn()) return logout("Your session has expired. Please sign in again.");
      await new Promise((r) => setTimeout(r, Math.min(30000, 1000 * 2 ** attempt)));
    }
  }
}

// ---- REST panels -----------------------------------------------------------------------------

async function lookupCart(e) {
  e.preventDefault();
  const cart = encodeURIComponent($("#lookup-cart").value.trim());
  const shopper = encodeURIComponent($("#lookup-shopper").value.trim());
  const out = $("#lookup-result");
  out.textContent = "Loading…";
  const res = await api(`/v1/carts/${cart}?shopper_id=${shopper}`);
  if (!res.ok) {
    out.textContent = res.status === 404 ? "No such cart." : `Error ${res.status}: ${res.body?.error ?? ""}`;
    return;
  }
  renderCart(out, res.body);
}

async function runReport(e) {
  e?.preventDefault();
  const params = new URLSearchParams();
  const from = $("#report-from").value;
  const to = $("#report-to").value;
  if (from) params.set("from", `${from}T00:00:00Z`);
  if (to) params.set("to", new Date(Date.parse(`${to}T00:00:00Z`) + 86400000).toISOString());
  const out = $("#report-result");
  const res = await api(`/v1/reports/recovery?${params}`);
  if (!res.ok) {
    out.textContent = `Error ${res.status}: ${res.body?.error ?? ""}`;
    return;
  }
  renderReport(out, res.body);
}

function policyStatus(text, kind = "") {
  const p = $("#policy-status");
  p.textContent = text;
  p.className = kind;
}

async function loadPolicy() {
  const res = await api("/v1/policy");
  if (!res.ok) {
    policyStatus(`Could not load the policy (HTTP ${res.status}).`, "error");
    return;
  }
  policyVersion = res.body.version;
  $("#policy-version").textContent = `version ${policyVersion}`;
  $("#policy-text").value = JSON.stringify(res.body, null, 2);
}

async function savePolicy() {
  let body;
  try {
    body = JSON.parse($("#policy-text").value);
  } catch (err) {
    policyStatus(`Not valid JSON: ${err.message}`, "error");
    return;
  }
  policyStatus("Saving…");
  const res = await api(`/v1/policy?expected_version=${encodeURIComponent(policyVersion)}`, { method: "PUT", body: JSON.stringify(body) });
  if (res.ok) {
    await loadPolicy();
    policyStatus(`Saved: now version ${policyVersion}.`, "ok");
  } else if (res.status === 409) {
    policyStatus("Someone else changed the policy meanwhile. Reload, re-apply your change, and save again.", "error");
  } else if (res.status === 403) {
    policyStatus("Your role may not change the policy.", "error");
  } else {
    policyStatus(`Not saved: ${res.body?.error ?? `HTTP ${res.status}`}`, "error");
  }
}

// ---- startup ---------------------------------------------------------------------------------

function showDashboard() {
  $("#login-view").hidden = true;
  $("#dashboard").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = `${auth.user || ""} (${auth.role})`;
  const viewer = auth.role !== "admin";
  $("#orleans-dashboard").hidden = viewer;
  $("#policy-save").hidden = viewer;
  $("#policy-text").readOnly = viewer;
  $("#policy-readonly").hidden = !viewer;
  history.clear();
  $("#feed").replaceChildren();
  $("#feed-empty").hidden = false;
  buildTiles();
  const today = new Date().toISOString().slice(0, 10);
  $("#report-from").value ||= new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10);
  $("#report-to").value ||= today;
  connectHub();
  loadRecentNudges().catch(() => {});
  loadPolicy().catch(() => {});
  runReport().catch(() => {});
}

$("#login-form").addEventListener("submit", login);
$("#logout").addEventListener("click", () => logout());
$("#lookup-form").addEventListener("submit", lookupCart);
$("#report-form").addEventListener("submit", runReport);
$("#policy-reload").addEventListener("click", () => loadPolicy().then(() => policyStatus("Reloaded.")));
$("#policy-save").addEventListener("click", savePolicy);

if (loggedIn()) showDashboard();
else logout();
