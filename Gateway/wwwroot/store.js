// Demo storefront: a tiny catalogue and cart that reports every step through the CartRecovery SDK.
const CR = window.CartRecovery;
const CURRENCY = "EUR";
const CART_KEY = "demo.cart";

const PRODUCTS = [
  { sku: "TRAIL-SHOE-42", name: "Trail running shoes", price: 89.0, category: "footwear", color: "#0ea5e9", blurb: "Grippy soles, light mesh." },
  { sku: "RAIN-JACKET-M", name: "Packable rain jacket", price: 129.0, category: "outerwear", color: "#16a34a", blurb: "Folds into its own pocket." },
  { sku: "DAYPACK-20L", name: "Daypack 20 L", price: 59.5, category: "bags", color: "#f97316", blurb: "Padded straps, hydration sleeve." },
  { sku: "WOOL-SOCKS-3", name: "Merino socks (3 pairs)", price: 24.9, category: "footwear", color: "#a855f7", blurb: "Warm, soft, no itch." },
  { sku: "HEADLAMP-300", name: "Headlamp 300 lm", price: 34.0, category: "gear", color: "#eab308", blurb: "USB-C, red night mode." },
  { sku: "BOTTLE-750", name: "Insulated bottle 750 ml", price: 19.5, category: "gear", color: "#ef4444", blurb: "Cold for 24 hours." },
];

const $ = (sel) => document.querySelector(sel);
const fmt = new Intl.NumberFormat("en-IE", { style: "currency", currency: CURRENCY });
const bySku = new Map(PRODUCTS.map((p) => [p.sku, p]));

function newCart() {
  return { cart_id: `c-${crypto.getRandomValues(new Uint32Array(2)).join("")}`, lines: {} };
}

let cart = JSON.parse(localStorage.getItem(CART_KEY) || "null") || newCart();

function save() {
  localStorage.setItem(CART_KEY, JSON.stringify(cart));
}

function total() {
  return Math.round(Object.entries(cart.lines).reduce((s, [sku, q]) => s + bySku.get(sku).price * q, 0) * 100) / 100;
}

function item(p, quantity = 1) {
  return { sku: p.sku, name: p.name, price: p.price, currency: CURRENCY, quantity, category: p.category };
}

// ---- rendering -------------------------------------------------------------------------------

function renderCatalog() {
  const list = $("#products");
  for (const p of PRODUCTS) {
    const li = document.createElement("li");
    li.className = "product";
    li.innerHTML = `
      <div class="swatch" aria-hidden="true">${p.name[0]}</div>
      <h2></h2>
      <p class="price"></p>
      <details><summary>Details</summary><p></p></details>
      <button type="button" class="primary" data-testid="add-${p.sku}">Add to cart</button>`;
    li.querySelector(".swatch").style.setProperty("--c", p.color); // CSSOM: allowed by the gateway's CSP
    li.querySelector("h2").textContent = p.name;
    li.querySelector(".price").textContent = fmt.format(p.price);
    li.querySelector("details p").textContent = p.blurb;
    li.querySelector("details").addEventListener("toggle", (e) => {
      if (e.target.open) CR.track("product_view", { item: item(p) });
    });
    li.querySelector("button").addEventListener("click", () => add(p.sku));
    list.append(li);
  }
}

function renderCart() {
  const lines = $("#cart-lines");
  lines.replaceChildren();
  let count = 0;
  for (const [sku, qty] of Object.entries(cart.lines)) {
    const p = bySku.get(sku);
    count += qty;
    const li = document.createElement("li");
    li.innerHTML = `<span class="name"></span>
      <span class="qty">
        <button type="button" class="icon" data-testid="dec-${sku}" aria-label="One less ${p.name}">−</button>
        <span aria-label="quantity">${qty}</span>
        <button type="button" class="icon" data-testid="inc-${sku}" aria-label="One more ${p.name}">+</button>
      </span>
      <span class="line-total">${fmt.format(p.price * qty)}</span>`;
    li.querySelector(".name").textContent = p.name;
    li.querySelector(`[data-testid="dec-${sku}"]`).addEventListener("click", () => remove(sku));
    li.querySelector(`[data-testid="inc-${sku}"]`).addEventListener("click", () => add(sku));
    lines.append(li);
  }
  $("#cart-count").textContent = String(count);
  $("#cart-total").textContent = fmt.format(total());
  $("#cart-empty").hidden = count > 0;
  $("#checkout").disabled = count === 0;
}

function show(view) {
  $("#catalog").hidden = view !== "catalog";
  $("#checkout-view").hidden = view !== "checkout";
  $("#confirmation").hidden = view !== "confirmation";
}

function setCartOpen(open) {
  $("#cart-panel").hidden = !open;
  $("#open-cart").setAttribute("aria-expanded", String(open));
  if (open) $("#checkout").disabled ? $("#close-cart").focus() : $("#checkout").focus();
}

// ---- actions (each one an event) --------------------------------------------------------------

function add(sku) {
  cart.lines[sku] = (cart.lines[sku] || 0) + 1;
  save();
  renderCart();
  CR.track("add_to_cart", { cart_id: cart.cart_id, item: item(bySku.get(sku)) });
}

function remove(sku) {
  if (!cart.lines[sku]) return;
  cart.lines[sku] -= 1;
  if (cart.lines[sku] <= 0) delete cart.lines[sku];
  save();
  renderCart();
  CR.track("remove_from_cart", { cart_id: cart.cart_id, item: item(bySku.get(sku)) });
}

function startCheckout() {
  setCartOpen(false);
  show("checkout");
  $("#step-contact").hidden = false;
  $("#step-pay").hidden = true;
  $("#step-1-label").setAttribute("aria-current", "step");
  $("#step-2-label").removeAttribute("aria-current");
  $("#email").focus();
  CR.track("checkout_started", { cart_id: cart.cart_id });
  CR.track("page_view", { page: { url: `${location.origin}/checkout`, category: "checkout" } });
}

function continueToPayment(e) {
  e.preventDefault();
  const email = $("#email").value.trim();
  if (email) CR.identify({ email });
  CR.track("checkout_step", { cart_id: cart.cart_id });
  const summary = $("#summary");
  summary.replaceChildren();
  for (const [sku, qty] of Object.entries(cart.lines)) {
    const li = document.createElement("li");
    li.textContent = `${qty} × ${bySku.get(sku).name} — ${fmt.format(bySku.get(sku).price * qty)}`;
    summary.append(li);
  }
  $("#summary-total").textContent = fmt.format(total());
  $("#step-contact").hidden = true;
  $("#step-pay").hidden = false;
  $("#step-1-label").removeAttribute("aria-current");
  $("#step-2-label").setAttribute("aria-current", "step");
  $('[data-testid="place-order"]').focus();
}

function placeOrder(e) {
  e.preventDefault();
  const order = {
    order_id: `o-${Date.now().toString(36)}`,
    total: total(),
    currency: CURRENCY,
    skus: Object.keys(cart.lines),
  };
  // No CR.track("purchase"): the gateway takes purchases (revenue) from a store backend only
  // (POST /v1/events with X-Api-Key), never from a browser. A real store reports the order from its
  // server once paid; this demo has no server, so the order shown here is not reported.
  $("#order-id").textContent = order.order_id;
  $("#order-total").textContent = fmt.format(order.total);
  cart = newCart();
  save();
  renderCart();
  show("confirmation");
  $("#confirmation").focus();
}

function backToStore() {
  show("catalog");
  CR.track("page_view", { page: { url: location.href, category: "home" } });
}

// ---- wiring ---------------------------------------------------------------------------------

function wire() {
  $("#open-cart").addEventListener("click", () => setCartOpen($("#cart-panel").hidden));
  $("#close-cart").addEventListener("click", () => setCartOpen(false));
  $("#checkout").addEventListener("click", startCheckout);
  $("#step-contact").addEventListener("submit", continueToPayment);
  $("#step-pay").addEventListener("submit", placeOrder);
  for (const b of document.querySelectorAll('[data-action="back-to-store"]')) b.addEventListener("click", backToStore);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("#cart-panel").hidden && !document.querySelector('[data-testid="nudge-popup"]')) setCartOpen(false);
  });
  const consent = $("#consent");
  consent.checked = localStorage.getItem("demo.consent") === "true";
  consent.addEventListener("change", () => {
    localStorage.setItem("demo.consent", String(consent.checked));
    CR.setConsent(consent.checked);
  });
  CR.onStatus((s) => {
    const node = $('[data-testid="connection-status"]');
    node.textContent = s;
    node.dataset.state = s;
  });
}

renderCatalog();
renderCart();
wire();
CR.init({
  endpoint: "",
  onNudgeClick: () => {
    show("catalog");
    setCartOpen(true);
  },
}).then(() => {
  $("#shopper-id").textContent = CR.shopperId();
});
CR.track("page_view", { page: { url: location.href, category: "home" } });
