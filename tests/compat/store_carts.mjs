// Drives commerce-core's carts through Medusa's official JS SDK (@medusajs/js-sdk, pinned in package.json):
// an admin creates a published product (three variants priced in usd and eur, a usd tier from 10 units) and an
// active 10 % promotion; a storefront creates a cart, edits it (email, address, lines, a tier quantity), applies
// and removes the code, moves it to Europe (eur prices), sees hand-worked totals at every step, has bad lines
// refused with the cart unchanged, and a logged-in customer takes the cart over. Shipping methods and options
// are not covered here. Any mismatch throws (non-zero exit); success prints one JSON line.
//
// Environment: BASE_URL, PUBLISHABLE_KEY, ADMIN_EMAIL, ADMIN_PASSWORD.
import assert from "node:assert/strict";

import Medusa from "@medusajs/js-sdk";

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  attempt,
  auth,
  BASE_URL,
  cents,
  check,
  eventually,
  finish,
  money,
  outcome,
  PUBLISHABLE_KEY,
  RUN,
  sorted,
  step,
} from "./harness.mjs";

const newStorefront = () => new Medusa({ baseUrl: BASE_URL, publishableKey: PUBLISHABLE_KEY, auth });
const storefront = newStorefront();
const admin = new Medusa({ baseUrl: BASE_URL, auth });

const HANDLE = `sdk-cart-tee-${RUN}`;
const CODE = `SDK10-${RUN}`.toUpperCase();
const PASSWORD = "a long enough sdk password";

// The price book: usd and eur per variant, and a usd price from 10 units up. Totals below are worked by hand.
const PRICES = {
  S: { usd: 20, eur: 18.5, usdFrom10: 17 },
  M: { usd: 30, eur: 27, usdFrom10: 26 },
  L: { usd: 45, eur: 40.5, usdFrom10: 40 },
};

/** The cart's lines by variant title: [quantity, unit_price]. */
let titleOf = {}; // variant id -> title
const lines = (cart) =>
  Object.fromEntries(
    [...cart.items].map((i) => [titleOf[i.variant_id], [i.quantity, Number(i.unit_price)]]).sort(),
  );
const line = (cart, title) => cart.items.find((i) => titleOf[i.variant_id] === title);

/** The cart totals the SDK's storefronts read, each to the cent. */
function totals(cart, { subtotal, discount = 0 }, what) {
  money(cart.subtotal, subtotal, `${what} subtotal`);
  money(cart.item_subtotal, subtotal, `${what} item_subtotal`);
  money(cart.discount_total, discount, `${what} discount_total`);
  money(cart.tax_total, 0, `${what} tax_total`);
  money(cart.shipping_total, 0, `${what} shipping_total`);
  money(cart.item_total, subtotal - discount, `${what} item_total`);
  money(cart.total, subtotal - discount, `${what} total`);
  money(cart.original_total, subtotal, `${what} original_total`);
}

/** One line's totals: subtotal = unit_price x quantity, total = subtotal - discount. */
function lineTotals(item, { subtotal, discount = 0 }, what) {
  money(item.subtotal, subtotal, `${what} line subtotal`);
  money(item.discount_total, discount, `${what} line discount_total`);
  money(item.total, subtotal - discount, `${what} line total`);
  money(item.original_total, subtotal, `${what} line original_total`);
}

const CART_KEYS = ["id", "currency_code", "email", "region_id", "region", "customer_id", "sales_channel_id", "items",
  "shipping_methods", "promotions", "shipping_address", "billing_address", "metadata", "created_at", "updated_at",
  "total", "subtotal", "tax_total", "discount_total", "discount_tax_total", "original_total", "original_tax_total",
  "item_total", "item_subtotal", "item_tax_total", "original_item_total", "original_item_subtotal",
  "original_item_tax_total", "shipping_total", "shipping_subtotal", "shipping_tax_total", "original_shipping_total",
  "original_shipping_subtotal", "original_shipping_tax_total"];
const ITEM_KEYS = ["id", "cart_id", "title", "subtitle", "thumbnail", "quantity", "unit_price", "variant_id",
  "product_id", "product_title", "product_handle", "variant_sku", "variant_title", "variant_option_values",
  "requires_shipping", "is_discountable", "is_tax_inclusive", "adjustments", "tax_lines", "metadata",
  "created_at", "updated_at", "subtotal", "total", "original_total", "discount_total", "tax_total"];
const ADDRESS = {
  first_name: "Ada",
  last_name: "Lovelace",
  address_1: "12 Analytical Row",
  city: "Boston",
  postal_code: "02115",
  province: "MA",
  country_code: "us",
  phone: "+1 617 555 0100",
};

let channelId;
let northAmerica;
let europe;
let tee;
let variants; // title -> variant id
let promotion;
let cartId;
let before; // the cart as last seen, to show that a refused change left it alone

// ---------------------------------------------------------------- admin: login, store, regions
await step("auth.login and admin.store.list, admin.region.list", async () => {
  const token = await admin.auth.login("user", "emailpass", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  check.equal(typeof token, "string", `login returned ${JSON.stringify(token)}`);
  const { stores } = await admin.admin.store.list();
  check.equal(stores.length, 1, "one store");
  channelId = stores[0].default_sales_channel_id;
  check.ok(typeof channelId === "string" && channelId.startsWith("sc_"), `default sales channel ${channelId}`);
  const { regions } = await admin.admin.region.list();
  const named = Object.fromEntries(regions.map((r) => [r.name, r]));
  northAmerica = named["North America"];
  europe = named.Europe;
  check.equal(northAmerica?.currency_code, "usd", "North America in usd");
  check.equal(europe?.currency_code, "eur", "Europe in eur");
});

// ---------------------------------------------------------------- admin: a priced product and a promotion
await step("admin.product.create with usd, eur and a usd quantity tier", async () => {
  const sizes = Object.keys(PRICES);
  const { product } = await admin.admin.product.create({
    title: `Cart Tee ${RUN}`,
    handle: HANDLE,
    status: "published",
    sales_channels: [{ id: channelId }],
    options: [{ title: "Size", values: sizes }],
    variants: sizes.map((size) => ({
      title: size,
      sku: `SDK-CART-${size}-${RUN}`,
      manage_inventory: false,
      options: { Size: size },
      prices: [
        { currency_code: "usd", amount: PRICES[size].usd },
        { currency_code: "usd", amount: PRICES[size].usdFrom10, min_quantity: 10 },
        { currency_code: "eur", amount: PRICES[size].eur },
      ],
    })),
  });
  tee = product;
  check.equal(product.status, "published");
  check.deepEqual(product.sales_channels.map((c) => c.id), [channelId], "sales channels");
  variants = Object.fromEntries(product.variants.map((v) => [v.title, v.id]));
  titleOf = Object.fromEntries(product.variants.map((v) => [v.id, v.title]));
  check.deepEqual(Object.keys(variants).sort(), ["L", "M", "S"], "variants");
  const s = product.variants.find((v) => v.title === "S");
  const tiers = s.prices.map((p) => [p.currency_code, p.amount, p.min_quantity ?? null]).sort();
  check.deepEqual(tiers, [["eur", 18.5, null], ["usd", 17, 10], ["usd", 20, null]], "S prices with the tier");
  await eventually("the store sees the product", async () => {
    const { products } = await storefront.store.product.list({ handle: HANDLE });
    assert.equal(products.length, 1);
  });
});

await step("admin.promotion.create: an active 10 % code on items", async () => {
  ({ promotion } = await admin.admin.promotion.create({
    code: CODE,
    type: "standard",
    status: "active",
    is_automatic: false,
    application_method: { type: "percentage", target_type: "items", allocation: "across", value: 10 },
  }));
  check.ok(promotion.id.startsWith("promo_"), `promotion id ${promotion.id}`);
  check.equal(promotion.code, CODE);
  check.equal(promotion.status, "active");
  check.equal(promotion.is_automatic, false);
  check.equal(promotion.application_method.type, "percentage");
  check.equal(Number(promotion.application_method.value), 10);
  const { promotion: again } = await admin.admin.promotion.retrieve(promotion.id);
  check.equal(again.code, CODE);
});

// ---------------------------------------------------------------- store: create, retrieve, update
await step("store.cart.create with region_id and items", async () => {
  const body = await storefront.store.cart.create({
    region_id: northAmerica.id,
    items: [{ variant_id: variants.S, quantity: 2 }],
  });
  check.deepEqual(Object.keys(body), ["cart"], "create envelope");
  const { cart } = body;
  cartId = cart.id;
  check.ok(cart.id.startsWith("cart_"), `cart id ${cart.id}`);
  check.has(cart, CART_KEYS, "store cart");
  check.equal(cart.currency_code, "usd");
  check.equal(cart.region_id, northAmerica.id);
  check.equal(cart.region?.id, northAmerica.id, "region embedded");
  check.equal(cart.region?.currency_code, "usd");
  check.equal(cart.sales_channel_id, channelId, "the key's sales channel");
  check.equal(cart.email, null);
  check.equal(cart.customer_id, null, "a guest cart");
  check.deepEqual(cart.promotions, [], "no promotions");
  check.deepEqual(cart.shipping_methods, [], "no shipping methods");
  check.deepEqual(lines(cart), { S: [2, 20] });
  const s = cart.items[0];
  check.has(s, ITEM_KEYS, "store line item");
  check.ok(s.id.startsWith("cali_"), `line id ${s.id}`);
  check.equal(s.cart_id, cart.id);
  check.equal(s.product_id, tee.id);
  check.equal(s.product_title, `Cart Tee ${RUN}`);
  check.equal(s.product_handle, HANDLE);
  check.equal(s.variant_title, "S");
  check.equal(s.variant_sku, `SDK-CART-S-${RUN}`);
  check.deepEqual(s.variant_option_values, { Size: "S" });
  check.deepEqual(s.adjustments, []);
  lineTotals(s, { subtotal: 40 }, "2 x S");
  totals(cart, { subtotal: 40 }, "2 x S");
  before = cart;
});

await step("store.cart.retrieve", async () => {
  const body = await storefront.store.cart.retrieve(cartId);
  check.deepEqual(Object.keys(body), ["cart"], "retrieve envelope");
  check.deepEqual(body.cart, before, "retrieve equals the created cart");
  await check.rejects(storefront.store.cart.retrieve("cart_missing"), 404, "cart_missing", "Not Found");
});

await step("store.cart.update: email and shipping_address", async () => {
  const email = `sdk-cart-${RUN}@example.com`;
  const { cart } = await storefront.store.cart.update(cartId, { email, shipping_address: ADDRESS });
  check.equal(cart.email, email);
  const address = cart.shipping_address;
  check.ok(address?.id, `shipping address ${JSON.stringify(address)}`);
  for (const [key, value] of Object.entries(ADDRESS)) check.equal(address[key], value, `shipping_address.${key}`);
  check.equal(cart.billing_address, null, "billing address untouched");
  check.deepEqual(lines(cart), { S: [2, 20] }, "lines untouched");
  totals(cart, { subtotal: 40 }, "after update");
  // Medusa's update-cart workflow finds or creates a (guest) customer for the email and links it to the cart.
  check.known("store carts: an email links a guest customer", /^cus_/.test(cart.customer_id ?? cart.customer?.id ?? ""), {
    request: "sdk.store.cart.update(id, { email }) on a guest cart",
    expected: "cart.customer_id set to a guest customer (has_account false) with that email",
    observed: `customer_id ${JSON.stringify(cart.customer_id)}`,
  });
  const { cart: again } = await storefront.store.cart.update(cartId, { shipping_address: { ...ADDRESS, city: "Salem" } });
  check.equal(again.shipping_address.city, "Salem", "the address replaced");
  check.equal(again.email, email, "email kept");
  // Medusa: "Country with code de is not within region North America" (400), the cart unchanged.
  const abroad = await attempt(
    storefront.store.cart.update(cartId, { shipping_address: { ...ADDRESS, country_code: "de" } }),
  );
  check.known("store carts: a shipping address outside the region is refused", abroad.status === 400, {
    request: 'sdk.store.cart.update(id, { shipping_address: { country_code: "de", ... } }) on a North America cart',
    expected: '400 invalid_data "Country with code de is not within region North America"',
    observed: outcome(abroad),
  });
  if (abroad.body) await storefront.store.cart.update(cartId, { shipping_address: { ...ADDRESS, city: "Salem" } });
  await check.rejects(storefront.store.cart.update(cartId, { email: "not-an-email" }), 400, "", "Bad Request");
  await check.rejects(storefront.store.cart.update(cartId, { region_id: "reg_missing" }), 404, "reg_missing");
  check.equal((await storefront.store.cart.retrieve(cartId)).cart.email, email, "a refused update changes nothing");
});

// ---------------------------------------------------------------- store: line items and the quantity tier
await step("store.cart.createLineItem: three variants, a repeat merges", async () => {
  let { cart } = await storefront.store.cart.createLineItem(cartId, { variant_id: variants.M, quantity: 1 });
  check.deepEqual(lines(cart), { M: [1, 30], S: [2, 20] });
  ({ cart } = await storefront.store.cart.createLineItem(cartId, { variant_id: variants.L, quantity: 2 }));
  ({ cart } = await storefront.store.cart.createLineItem(cartId, { variant_id: variants.S, quantity: 1 }));
  check.equal(cart.items.length, 3, "the same variant again adds to its line");
  check.deepEqual(lines(cart), { L: [2, 45], M: [1, 30], S: [3, 20] });
  // 3 x 20 + 30 + 2 x 45
  totals(cart, { subtotal: 180 }, "three lines");
  lineTotals(line(cart, "L"), { subtotal: 90 }, "2 x L");
  before = cart;
});

await step("store.cart.updateLineItem: past the tier, the tier unit price", async () => {
  const s = line(before, "S");
  let { cart } = await storefront.store.cart.updateLineItem(cartId, s.id, { quantity: 9 });
  check.deepEqual(lines(cart).S, [9, 20], "9 units: list price");
  ({ cart } = await storefront.store.cart.updateLineItem(cartId, s.id, { quantity: 10 }));
  check.deepEqual(lines(cart), { L: [2, 45], M: [1, 30], S: [10, 17] }, "10 units: the tier price");
  check.equal(line(cart, "S").id, s.id, "same line");
  lineTotals(line(cart, "S"), { subtotal: 170 }, "10 x S at 17");
  // 170 + 30 + 90
  totals(cart, { subtotal: 290 }, "with the tier");
  await check.rejects(storefront.store.cart.updateLineItem(cartId, "cali_missing", { quantity: 2 }), 404, "");
  before = cart;
});

// ---------------------------------------------------------------- store: promotions
await step("store.cart.addPromotions: 10 % on every line", async () => {
  // The store learns of the new promotion through NOTIFY: retry a refused code briefly.
  const { cart } = await eventually("the store knows the new code", () =>
    storefront.store.cart.addPromotions(cartId, { promo_codes: [CODE] }),
  );
  check.deepEqual(
    cart.promotions.map((p) => [p.id, p.code, p.is_automatic, p.application_method?.type]),
    [[promotion.id, CODE, false, "percentage"]],
    "promotions",
  );
  check.equal(Number(cart.promotions[0].application_method.value), 10, "promotion value");
  // 10 % of 290, by line: 17 + 3 + 9
  totals(cart, { subtotal: 290, discount: 29 }, "10 % off");
  lineTotals(line(cart, "S"), { subtotal: 170, discount: 17 }, "S");
  lineTotals(line(cart, "M"), { subtotal: 30, discount: 3 }, "M");
  lineTotals(line(cart, "L"), { subtotal: 90, discount: 9 }, "L");
  for (const item of cart.items) {
    check.deepEqual(item.adjustments.map((a) => [a.code, a.promotion_id]), [[CODE, promotion.id]], "adjustment");
    check.has(item.adjustments[0], ["id", "code", "amount", "promotion_id"], "adjustment");
  }
  money(line(cart, "M").adjustments[0].amount, 3, "M adjustment amount");
  const { cart: again } = await storefront.store.cart.retrieve(cartId);
  check.deepEqual(again.promotions.map((p) => p.code), [CODE], "kept on the cart");
  money(again.total, 261, "retrieved total");
  before = again;
});

await step("store.cart.updateLineItem re-evaluates the promotion", async () => {
  const m = line(before, "M");
  const { cart } = await storefront.store.cart.updateLineItem(cartId, m.id, { quantity: 2 });
  // 170 + 2 x 30 + 90 = 320, 10 % = 32
  totals(cart, { subtotal: 320, discount: 32 }, "M x 2");
  lineTotals(line(cart, "M"), { subtotal: 60, discount: 6 }, "2 x M");
  before = cart;
});

await step("store.cart.update region_id: Europe re-prices in eur", async () => {
  const { cart } = await storefront.store.cart.update(cartId, { region_id: europe.id });
  check.equal(cart.region_id, europe.id);
  check.equal(cart.region?.id, europe.id);
  check.equal(cart.currency_code, "eur");
  // No eur tier: 10 x 18.50, 2 x 27, 2 x 40.50.
  check.deepEqual(lines(cart), { L: [2, 40.5], M: [2, 27], S: [10, 18.5] }, "eur unit prices");
  check.deepEqual(cart.promotions.map((p) => p.code), [CODE], "the code stays");
  // 185 + 54 + 81 = 320, 10 % = 32
  totals(cart, { subtotal: 320, discount: 32 }, "in eur");
  lineTotals(line(cart, "S"), { subtotal: 185, discount: 18.5 }, "10 x S in eur");
  lineTotals(line(cart, "L"), { subtotal: 81, discount: 8.1 }, "2 x L in eur");
  // Medusa's update-cart workflow drops the shipping address on a region change (Europe has several countries).
  check.known("store carts: a region change clears the shipping address", cart.shipping_address === null, {
    request: "sdk.store.cart.update(id, { region_id: <Europe> }) on a cart with a US shipping address",
    expected: "shipping_address null (kept only as { country_code } when the new region has a single country)",
    observed: `shipping_address ${JSON.stringify(cart.shipping_address)}`,
  });
  before = cart;
});

await step("store.cart.deleteLineItem", async () => {
  const m = line(before, "M");
  const body = await storefront.store.cart.deleteLineItem(cartId, m.id);
  check.deepEqual(sorted(Object.keys(body)), ["deleted", "id", "object", "parent"], "delete envelope");
  check.deepEqual([body.id, body.object, body.deleted], [m.id, "line-item", true]);
  const cart = body.parent;
  check.equal(cart.id, cartId, "parent is the cart");
  check.deepEqual(lines(cart), { L: [2, 40.5], S: [10, 18.5] });
  // 185 + 81 = 266, 10 % = 26.60
  totals(cart, { subtotal: 266, discount: 26.6 }, "without M");
  before = cart;
});

await step("store.cart.removePromotions", async () => {
  const { cart } = await storefront.store.cart.removePromotions(cartId, { promo_codes: [CODE] });
  check.deepEqual(cart.promotions, [], "no promotions");
  totals(cart, { subtotal: 266 }, "without the code");
  for (const item of cart.items) check.deepEqual(item.adjustments, [], "no adjustments");
  before = cart;
});

// ---------------------------------------------------------------- store: refused changes leave the cart alone
await step("bad line items are refused with 400 and the cart is unchanged", async () => {
  await check.rejects(
    storefront.store.cart.createLineItem(cartId, { variant_id: "variant_missing", quantity: 1 }),
    400,
    "variant_missing",
    "Bad Request",
  );
  await check.rejects(
    storefront.store.cart.createLineItem(cartId, { variant_id: variants.M, quantity: 0 }),
    400,
    "quantity",
    "Bad Request",
  );
  await check.rejects(
    storefront.store.cart.createLineItem(cartId, { variant_id: variants.M, quantity: -1 }),
    400,
    "quantity",
    "Bad Request",
  );
  await check.rejects(
    storefront.store.cart.updateLineItem(cartId, line(before, "S").id, { quantity: -3 }),
    400,
    "quantity",
    "Bad Request",
  );
  const { cart } = await storefront.store.cart.retrieve(cartId);
  check.deepEqual(lines(cart), lines(before), "same lines");
  check.deepEqual(
    [cart.subtotal, cart.discount_total, cart.total, cart.updated_at],
    [before.subtotal, before.discount_total, before.total, before.updated_at],
    "same totals, not touched",
  );
});

// ---------------------------------------------------------------- store: a customer takes the cart over
await step("store.cart.transferCart: a logged-in customer takes the cart", async () => {
  await check.rejects(storefront.store.cart.transferCart(cartId), 401, "", "Unauthorized");
  const shopper = newStorefront();
  const email = `sdk-cart-owner-${RUN}@example.com`;
  await shopper.auth.register("customer", "emailpass", { email, password: PASSWORD });
  const { customer } = await shopper.store.customer.create({ email, first_name: "Grace" });
  await shopper.auth.login("customer", "emailpass", { email, password: PASSWORD });
  const { cart } = await shopper.store.cart.transferCart(cartId);
  check.equal(cart.id, cartId);
  check.equal(cart.customer_id, customer.id, "the customer owns the cart");
  check.equal(cart.email, email, "the customer's email");
  // customer.id, customer.email and customer.groups.id are among Medusa's default store cart fields.
  check.known("store carts: the customer relation", cart.customer?.id === customer.id && cart.customer?.email === email, {
    request: "sdk.store.cart.transferCart(id) as a logged-in customer, default fields",
    expected: "cart.customer = { id, email, groups } (Medusa's defaultStoreCartFields)",
    observed: `customer ${JSON.stringify(cart.customer)}`,
  });
  check.deepEqual(lines(cart), lines(before), "lines kept");
  money(cart.total, 266, "total kept");
  const { cart: seen } = await shopper.store.cart.retrieve(cartId);
  check.equal(seen.customer_id, customer.id);
  // A cart created while logged in belongs to the customer from the start.
  const { cart: own } = await shopper.store.cart.create({ region_id: europe.id });
  check.equal(own.customer_id, customer.id, "a logged-in customer's new cart");
  check.equal(own.currency_code, "eur");
});

// ---------------------------------------------------------------- request shapes Medusa accepts
// Medusa 2.21's store cart validators and the Next.js starter (src/lib/data/cart.ts) send these through the SDK.
// A mismatch is recorded as a divergence instead of failing the run.
await step("cart requests storefronts send", async () => {
  // The starter applies codes with sdk.store.cart.update(id, { promo_codes }).
  const viaUpdate = await attempt(storefront.store.cart.update(cartId, { promo_codes: [CODE] }));
  check.known(
    "store carts: update with promo_codes",
    viaUpdate.body?.cart?.promotions?.some((p) => p.code === CODE) && cents(viaUpdate.body.cart.discount_total) === 2660,
    {
      request: "sdk.store.cart.update(id, { promo_codes: [code] }) (the Next.js starter's applyPromotions)",
      expected: "200, the code applied (promo_codes is in Medusa's StoreUpdateCart)",
      observed: outcome(viaUpdate),
    },
  );
  const created = await attempt(
    storefront.store.cart.create({
      region_id: northAmerica.id,
      items: [{ variant_id: variants.M, quantity: 1 }],
      promo_codes: [CODE],
    }),
  );
  check.known(
    "store carts: create with promo_codes",
    created.body?.cart?.promotions?.some((p) => p.code === CODE) && cents(created.body.cart.total) === 2700,
    {
      request: "sdk.store.cart.create({ region_id, items, promo_codes: [code] })",
      expected: "200, the code applied (promo_codes is in Medusa's StoreCreateCart)",
      observed: outcome(created),
    },
  );
  const starterFields =
    "*items, *region, *items.product, *items.variant, *items.thumbnail, *items.metadata, +items.total, *promotions, +shipping_methods.name";
  const fetched = await attempt(storefront.store.cart.retrieve(cartId, { fields: starterFields }));
  const item = fetched.body?.cart?.items?.[0];
  check.known(
    "store carts: fields *items.product, *items.variant",
    item?.product?.id === tee.id && item?.variant?.id === item?.variant_id && typeof item?.variant?.title === "string",
    {
      request: `sdk.store.cart.retrieve(id, { fields: "${starterFields}" }) (the Next.js starter's retrieveCart)`,
      expected: "200 with items[].product and items[].variant objects",
      observed: fetched.body
        ? `200, items[0] keys: ${JSON.stringify(Object.keys(item ?? {}))}`
        : outcome(fetched),
    },
  );
});

finish("store_carts");
