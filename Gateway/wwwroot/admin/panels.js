// Rendering of the REST answers: cart state and the recovery report.
const money = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);
const when = (v) => (v ? new Date(v).toLocaleString() : "–");

function el(tag, text, cls) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  if (cls) n.className = cls;
  return n;
}

function table(headers, rows) {
  const t = el("table", undefined, "data");
  const head = el("tr");
  for (const h of headers) head.append(el("th", h));
  t.append(el("thead"));
  t.tHead.append(head);
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr");
    for (const c of r) tr.append(el("td", c === null || c === undefined ? "–" : String(c)));
    body.append(tr);
  }
  t.append(body);
  return t;
}

function scroll(child) {
  const div = el("div", undefined, "hscroll");
  div.append(child);
  return div;
}

function facts(pairs) {
  const dl = el("dl", undefined, "facts");
  for (const [k, v] of pairs) {
    dl.append(el("dt", k), el("dd", v === null || v === undefined || v === "" ? "–" : String(v)));
  }
  return dl;
}

function raw(obj) {
  const d = el("details");
  d.append(el("summary", "Raw JSON"), el("pre", JSON.stringify(obj, null, 2)));
  return d;
}

export function renderCart(out, c) {
  out.replaceChildren(
    facts([
      ["Stage", c.stage], ["Group", c.group], ["Value", `${money(c.value)} ${c.currency || ""}`],
      ["Risk", c.risk === null || c.risk === undefined ? null : c.risk.toFixed(3)], ["Created", when(c.created_at)],
      ["Last activity", when(c.last_activity_at)], ["Last decision", c.last_decision],
    ]),
    scroll(table(["SKU", "Name", "Price", "Qty"], (c.lines || []).map((l) => [l.sku, l.name, money(l.price), l.quantity]))),
    el("h3", "Nudges"),
    (c.nudges || []).length
      ? scroll(table(["Created", "Stage", "Variant", "Channel", "Outcome", "Shown", "Clicked"],
        c.nudges.map((n) => [when(n.created_at), n.stage, n.variant, n.channel, n.outcome, when(n.shown_at), when(n.clicked_at)])))
      : el("p", "No nudges for this cart.", "muted"),
    raw(c),
  );
}

export function renderReport(out, r) {
  const t = r.treatment || {};
  const c = r.control || {};
  const ci = r.uplift_ci95 ? `${pct(r.uplift_ci95[0])} to ${pct(r.uplift_ci95[1])}` : "–";
  const days = Object.entries(r.recovered_revenue_by_day || {}).sort(([a], [b]) => a.localeCompare(b));
  out.replaceChildren(
    table(["Measure", "Value"], [
      ["Carts created", r.carts_created], ["Carts abandoned", r.carts_abandoned], ["Carts nudged", r.carts_nudged],
      ["Carts recovered", r.carts_recovered],
      ["Nudged group: converted / at risk", `${t.converted ?? "–"} / ${t.at_risk ?? "–"} (${pct(t.rate)})`],
      ["Control group: converted / at risk", `${c.converted ?? "–"} / ${c.at_risk ?? "–"} (${pct(c.rate)})`],
      ["Uplift (95% CI)", `${pct(r.uplift)} (${ci})`], ["Recovered revenue", money(r.recovered_revenue)],
    ]),
    days.length ? table(["Day", "Recovered revenue"], days.map(([d, v]) => [d, money(v)])) : el("p", "No recovered revenue in this period.", "muted"),
  );
  out.querySelector("tbody tr:nth-child(4) td:last-child").dataset.testid = "report-carts-recovered";
}
