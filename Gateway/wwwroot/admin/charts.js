// Small inline-SVG charts for the admin dashboard (no library).
const NS = "http://www.w3.org/2000/svg";

function node(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}

const short = (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(2));
const clock = (t) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** Draws points [{t: ms, v: number}] as a line with a light area under it. */
export function lineChart(svg, points, color = "#2563eb") {
  const [w, h] = [600, 170];
  const pad = { l: 44, r: 10, t: 10, b: 22 };
  svg.replaceChildren();
  if (points.length < 2) {
    svg.append(node("text", { x: w / 2, y: h / 2, "text-anchor": "middle", class: "muted" }, "waiting for data…"));
    return;
  }
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const max = Math.max(...points.map((p) => p.v), 0) || 1;
  const x = (t) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (w - pad.l - pad.r);
  const y = (v) => h - pad.b - (v / max) * (h - pad.t - pad.b);
  const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
  for (const v of [0, max / 2, max]) {
    svg.append(node("line", { x1: pad.l, x2: w - pad.r, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(node("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, short(v)));
  }
  svg.append(node("path", { d: `${d}L${x(t1)},${y(0)}L${x(t0)},${y(0)}Z`, fill: color, opacity: 0.12 }));
  svg.append(node("path", { d, fill: "none", stroke: color, "stroke-width": 2 }));
  svg.append(node("text", { x: pad.l, y: h - 4, class: "axis" }, clock(t0)));
  svg.append(node("text", { x: w - pad.r, y: h - 4, "text-anchor": "end", class: "axis" }, clock(t1)));
}

/** Calibration plot: mean predicted (x) vs observed rate (y) in [0,1], the diagonal is perfect calibration. */
export function calibrationPlot(svg, bins) {
  const s = 240;
  const pad = 28;
  const span = s - 2 * pad;
  const x = (v) => pad + v * span;
  const y = (v) => s - pad - v * span;
  svg.replaceChildren();
  svg.append(node("rect", { x: pad, y: pad, width: span, height: span, class: "frame" }));
  svg.append(node("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: "diagonal" }));
  for (const v of [0, 0.5, 1]) {
    svg.append(node("text", { x: x(v), y: s - pad + 14, "text-anchor": "middle", class: "axis" }, String(v)));
    svg.append(node("text", { x: pad - 5, y: y(v) + 4, "text-anchor": "end", class: "axis" }, String(v)));
  }
  if (!bins || bins.length === 0) {
    svg.append(node("text", { x: s / 2, y: s / 2, "text-anchor": "middle", class: "muted" }, "no calibration yet"));
    return;
  }
  const sorted = [...bins].sort((a, b) => a.mean_predicted - b.mean_predicted);
  const maxCount = Math.max(...sorted.map((b) => b.count || 0), 1);
  svg.append(node("polyline", { points: sorted.map((b) => `${x(b.mean_predicted)},${y(b.observed_rate)}`).join(" "), class: "calib" }));
  for (const b of sorted) {
    const dot = node("circle", { cx: x(b.mean_predicted), cy: y(b.observed_rate), r: 2.5 + 4 * Math.sqrt((b.count || 0) / maxCount), class: "calib-dot" });
    dot.append(node("title", {}, `predicted ${b.mean_predicted.toFixed(2)}, observed ${b.observed_rate.toFixed(2)}, n=${b.count}`));
    svg.append(dot);
  }
}

/** Horizontal bars (as list items) for feature importance, largest first. */
export function importanceBars(list, features, top = 12) {
  list.replaceChildren();
  if (!features || features.length === 0) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "not available for this model";
    list.append(li);
    return;
  }
  const sorted = [...features].sort((a, b) => b.gain - a.gain).slice(0, top);
  const max = sorted[0].gain || 1;
  for (const f of sorted) {
    const li = document.createElement("li");
    li.innerHTML = `<span class="bar-label"></span><span class="bar"><span></span></span><span class="bar-value"></span>`;
    li.querySelector(".bar span").style.width = `${Math.max(1, (100 * f.gain) / max).toFixed(1)}%`; // CSSOM, CSP-safe
    li.querySelector(".bar-label").textContent = f.feature;
    li.querySelector(".bar-value").textContent = short(f.gain);
    list.append(li);
  }
}
