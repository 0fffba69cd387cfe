// Drives commerce-core's checkout through Medusa's official JS SDK (@medusajs/js-sdk, pinned in package.json), as
// a storefront does: in the shop the Python side built (SHOP, see shop.mjs) an admin adds three stocked products;
// the store lists the region's payment providers; a guest fills a cart (create, update, createLineItem), picks the
// shop's shipping option (listCartOptions, addShippingMethod), opens a payment session (initiatePaymentSession,
// which creates the cart's payment collection) and completes the cart into an order, whose stock is reserved; a
// logged-in customer buys too and sees the order in store.order.list and store.order.retrieve with the fields the
// Next.js starter asks for, and on /store/customers/me?fields=*orders; a declined card (pp_test_test) answers the
// cart with a payment_authorization_error, reserves nothing, and the same cart then goes through with another
// provider. Any mismatch throws (non-zero exit); success prints one JSON line.
//
// Environment: BASE_URL, PUBLISHABLE_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, SHOP.
import Medusa from "@medusajs/js-sdk";

import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  attempt,
  auth,
  BASE_URL,
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
import { ADDRESS, level, readyCart, SHIPPING, SHOP, stockedProduct } from "./shop.mjs";

const newStorefront = () => new Medusa({ baseUrl: BASE_URL, publishableKey: PUBLISHABLE_KEY, auth });
const storefront = newStorefront();
const admin = new Medusa({ baseUrl: BASE_URL, auth });
const PASSWORD = "sdk-checkout-pw-1";

const MUG = 12.5;
const LAMP = 40;
const VASE = 25;
// The fields the Next.js starter asks for (src/lib/data/orders.ts: listOrders, retrieveOrder).
const LIST_FIELDS = "*items,+items.metadata,*items.variant,*items.product";
const RETRIEVE_FIELDS = "*payment_collections.payments,*items,*items.metadata,*items.variant,*items.product";
// Fields of StoreOrder (@medusajs/types) that an order confirmation page reads.
const ORDER_KEYS = ["id", "display_id", "status", "email", "currency_code", "region_id", "items", "shipping_methods",
  "shipping_address", "billing_address", "total", "subtotal", "tax_total", "discount_total", "shipping_total",
  "item_total", "payment_status", "fulfillment_status", "created_at"];
const ITEM_KEYS = ["id", "title", "quantity", "unit_price", "variant_id", "product_id", "total", "subtotal"];

let mug;
let lamp;
let vase;
let cart; // the guest's cart as last answered
let guestOrder;
let shopper; // a logged-in customer's SDK
let customer;
let customerOrder;

// ---------------------------------------------------------------- admin: what the shop sells
await step("admin: three stocked products (product.create, inventoryItem.list, batch levels)", async () => {
  await admin.auth.login("user", "emailpass", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  mug = await stockedProduct(admin, storefront, "Mug", MUG, 10);
  lamp = await stockedProduct(admin, storefront, "Lamp", LAMP, 5);
  vase = await stockedProduct(admin, storefront, "Vase", VASE, 2);
  check.deepEqual(await level(admin, mug.item).then((l) => [l.stocked, l.reserved]), [10, 0], "mug level");
});

// ---------------------------------------------------------------- store: how the region takes payment
await step("store.payment.listPaymentProviders({ region_id })", async () => {
  const body = await storefront.store.payment.listPaymentProviders({ region_id: SHOP.region });
  check.deepEqual(sorted(Object.keys(body)), ["count", "limit", "offset", "payment_providers"], "list envelope");
  check.deepEqual(
    sorted(body.payment_providers.map((p) => p.id)),
    ["pp_system_default", "pp_test_test"],
    "the region's providers (pp_test_test enabled by the Python setup)",
  );
  check.equal(body.count, 2);
  for (const p of body.payment_providers) check.equal(p.is_enabled, true, `${p.id} enabled`);
  // Medusa's StoreGetPaymentProviders requires region_id.
  await check.rejects(storefront.store.payment.listPaymentProviders({}), 400, "region_id");
});

// ---------------------------------------------------------------- store: a guest fills a cart
await step("guest: store.cart.create, update (email, addresses), createLineItem", async () => {
  ({ cart } = await storefront.store.cart.create({ region_id: SHOP.region }));
  check.equal(cart.region_id, SHOP.region);
  check.equal(cart.currency_code, "usd");
  check.equal(cart.payment_collection ?? null, null, "no payment collection yet");
  const email = `sdk-guest-${RUN}@example.com`;
  ({ cart } = await storefront.store.cart.update(cart.id, {
    email,
    shipping_address: ADDRESS,
    billing_address: ADDRESS,
  }));
  check.equal(cart.email, email);
  check.equal(cart.shipping_address?.address_1, ADDRESS.address_1);
  check.equal(cart.billing_address?.city, ADDRESS.city);
  ({ cart } = await storefront.store.cart.createLineItem(cart.id, { variant_id: mug.variant.id, quantity: 2 }));
  check.deepEqual(cart.items.map((i) => [i.variant_id, i.quantity, Number(i.unit_price)]), [[mug.variant.id, 2, MUG]]);
  money(cart.item_total, 2 * MUG, "item_total");
  money(cart.total, 2 * MUG, "total before shipping");
});

await step("store.fulfillment.listCartOptions and store.cart.addShippingMethod", async () => {
  const option = await eventually("the store lists the shop's option", async () => {
    const { shipping_options: options } = await storefront.store.fulfillment.listCartOptions({ cart_id: cart.id });
    const found = options.find((o) => o.id === SHOP.option);
    if (!found) throw new Error(`options ${JSON.stringify(options.map((o) => o.id))}`);
    return found;
  });
  check.equal(option.name, "Standard");
  money(option.amount, SHIPPING, "Standard's amount");
  ({ cart } = await storefront.store.cart.addShippingMethod(cart.id, { option_id: SHOP.option }));
  check.deepEqual(cart.shipping_methods.map((m) => m.shipping_option_id), [SHOP.option], "the shipping method");
  money(cart.shipping_total, SHIPPING, "shipping_total");
  money(cart.total, 2 * MUG + SHIPPING, "total");
});

await step("store.payment.initiatePaymentSession: the cart's collection created, a pending session", async () => {
  // The cart has no payment_collection yet: the SDK creates one (POST /store/payment-collections { cart_id }).
  const body = await storefront.store.payment.initiatePaymentSession(cart, { provider_id: "pp_system_default" });
  check.deepEqual(Object.keys(body), ["payment_collection"], "initiatePaymentSession envelope");
  const collection = body.payment_collection;
  check.ok(/^pay_col_/.test(collection.id), `collection id ${collection.id}`);
  check.equal(collection.currency_code, "usd");
  money(collection.amount, 2 * MUG + SHIPPING, "collection amount: the cart's total");
  check.equal(collection.payment_sessions.length, 1, "one session");
  const [session] = collection.payment_sessions;
  check.ok(/^payses_/.test(session.id), `session id ${session.id}`);
  check.deepEqual([session.provider_id, session.status], ["pp_system_default", "pending"], "the session");
  money(session.amount, 2 * MUG + SHIPPING, "session amount");
  ({ cart } = await storefront.store.cart.retrieve(cart.id));
  check.equal(cart.payment_collection?.id, collection.id, "the cart shows its collection");
  // Again, now that the cart has a collection: the SDK posts to it directly, the session replaced, not added.
  const { payment_collection: again } = await storefront.store.payment.initiatePaymentSession(cart, {
    provider_id: "pp_system_default",
  });
  check.equal(again.id, collection.id, "the same collection");
  check.equal(again.payment_sessions.length, 1, "still one session");
  // A provider the region does not offer is refused (Medusa fails too: it cannot resolve the provider).
  await check.rejects(
    storefront.store.payment.initiatePaymentSession(cart, { provider_id: "pp_nope_nope" }),
    400,
    "pp_nope_nope",
  );
  ({ cart } = await storefront.store.cart.retrieve(cart.id));
});

await step("store.cart.complete: type order, the stock reserved", async () => {
  const body = await storefront.store.cart.complete(cart.id);
  check.deepEqual(sorted(Object.keys(body)), ["order", "type"], "complete envelope");
  check.equal(body.type, "order");
  const order = body.order;
  guestOrder = order;
  check.has(order, ORDER_KEYS, "store order");
  check.ok(/^order_/.test(order.id), `order id ${order.id}`);
  check.ok(Number.isInteger(order.display_id) && order.display_id >= 1, `display_id ${order.display_id}`);
  check.deepEqual(
    [order.status, order.payment_status, order.fulfillment_status],
    ["pending", "authorized", "not_fulfilled"],
    "statuses",
  );
  check.deepEqual([order.email, order.currency_code, order.region_id], [cart.email, "usd", SHOP.region]);
  for (const key of ["total", "subtotal", "tax_total", "discount_total", "shipping_total", "item_total"]) {
    money(order[key], cart[key], `order ${key} = cart ${key}`);
  }
  money(order.total, 2 * MUG + SHIPPING, "order total");
  check.equal(order.items.length, 1);
  check.has(order.items[0], ITEM_KEYS, "order line item");
  check.deepEqual(
    [order.items[0].variant_id, order.items[0].quantity, Number(order.items[0].unit_price)],
    [mug.variant.id, 2, MUG],
  );
  check.equal(order.shipping_address?.address_1, ADDRESS.address_1);
  check.deepEqual(order.shipping_methods.map((m) => m.name), ["Standard"]);
  const after = await level(admin, mug.item);
  check.deepEqual([after.stocked, after.reserved], [10, 2], "2 mugs reserved, none shipped");

  // Completing again answers the same order; the completed cart takes no more changes.
  const again = await storefront.store.cart.complete(cart.id);
  check.deepEqual([again.type, again.order?.id], ["order", order.id], "a second complete: the same order");
  check.equal((await level(admin, mug.item)).reserved, 2, "nothing reserved twice");
  await check.rejects(
    storefront.store.cart.createLineItem(cart.id, { variant_id: mug.variant.id, quantity: 1 }),
    400,
  );
  // The confirmation page reads the order by id (no login: a guest's order).
  const { order: seen } = await storefront.store.order.retrieve(order.id);
  check.equal(seen.id, order.id);
  money(seen.total, order.total, "retrieved total");
  await check.rejects(storefront.store.order.retrieve("order_missing"), 404, "order_missing");
});

// ---------------------------------------------------------------- store: a customer buys and sees the order
await step("auth.register, store.customer.create, auth.login", async () => {
  shopper = newStorefront();
  const email = `sdk-buyer-${RUN}@example.com`;
  await shopper.auth.register("customer", "emailpass", { email, password: PASSWORD });
  ({ customer } = await shopper.store.customer.create({ email, first_name: "Grace", last_name: "Hopper" }));
  check.ok(/^cus_/.test(customer.id), `customer id ${customer.id}`);
  const token = await shopper.auth.login("customer", "emailpass", { email, password: PASSWORD });
  check.equal(typeof token, "string", "login token");
});

await step("a logged-in customer's purchase: create, createLineItem, shipping, session, complete", async () => {
  let { cart: own } = await shopper.store.cart.create({ region_id: SHOP.region });
  check.equal(own.customer_id, customer.id, "the customer's cart");
  // Medusa's create-cart workflow (prepareCartToCreateStep) gives a logged-in customer's cart their email.
  check.known("store carts: a logged-in customer's new cart has their email", own.email === customer.email, {
    request: "sdk.store.cart.create({ region_id }) as a logged-in customer (no email in the body)",
    expected: "cart.email = the customer's email (data_.email = input.email ?? customer.email)",
    observed: `cart.email ${JSON.stringify(own.email)}, customer_id ${JSON.stringify(own.customer_id)}`,
  });
  // The starter's checkout form sends the email with the addresses anyway (setAddresses).
  ({ cart: own } = await shopper.store.cart.update(own.id, {
    email: customer.email,
    shipping_address: ADDRESS,
    billing_address: ADDRESS,
  }));
  check.equal(own.email, customer.email, "the customer's email");
  ({ cart: own } = await shopper.store.cart.createLineItem(own.id, { variant_id: lamp.variant.id, quantity: 1 }));
  const { shipping_options: options } = await shopper.store.fulfillment.listCartOptions({ cart_id: own.id });
  check.ok(options.some((o) => o.id === SHOP.option), "the shop's option offered");
  ({ cart: own } = await shopper.store.cart.addShippingMethod(own.id, { option_id: SHOP.option }));
  await shopper.store.payment.initiatePaymentSession(own, { provider_id: "pp_system_default" });
  const body = await shopper.store.cart.complete(own.id);
  check.equal(body.type, "order");
  customerOrder = body.order;
  check.equal(customerOrder.email, customer.email);
  money(customerOrder.total, LAMP + SHIPPING, "the customer's order total");
  check.deepEqual((await level(admin, lamp.item)).reserved, 1, "one lamp reserved");
});

await step("store.order.list as the Next.js starter asks", async () => {
  const body = await shopper.store.order.list({ limit: 10, offset: 0, order: "-created_at", fields: LIST_FIELDS });
  check.deepEqual(sorted(Object.keys(body)), ["count", "limit", "offset", "orders"], "list envelope");
  check.deepEqual(body.orders.map((o) => o.id), [customerOrder.id], "only the customer's order (not the guest's)");
  check.deepEqual([body.count, body.limit, body.offset], [1, 10, 0], "paging");
  const [order] = body.orders;
  check.equal(order.items.length, 1);
  const [item] = order.items;
  check.ok("metadata" in item, "items.metadata");
  check.equal(item.variant?.id, lamp.variant.id, "items.variant");
  check.equal(item.product?.id, lamp.product.id, "items.product");
  check.equal(item.product?.title, `Lamp ${RUN}`, "items.product.title");
  await check.rejects(storefront.store.order.list(), 401, "", "Unauthorized");
});

await step("store.order.retrieve with the starter's fields: the payment, items, variant, product", async () => {
  const { order } = await shopper.store.order.retrieve(customerOrder.id, { fields: RETRIEVE_FIELDS });
  check.equal(order.id, customerOrder.id);
  check.equal(order.payment_collections?.length, 1, "one payment collection");
  const payments = order.payment_collections[0].payments;
  check.equal(payments?.length, 1, "one payment");
  check.equal(payments[0].provider_id, "pp_system_default");
  money(payments[0].amount, LAMP + SHIPPING, "payment amount");
  check.equal(order.items[0].variant?.id, lamp.variant.id, "items.variant");
  check.equal(order.items[0].product?.id, lamp.product.id, "items.product");
  check.ok("metadata" in order.items[0], "items.metadata");
});

await step("GET /store/customers/me?fields=*orders as the Next.js starter sends it", async () => {
  // src/lib/data/customer.ts retrieveCustomer: sdk.client.fetch("/store/customers/me", { query: { fields } }).
  const me = await attempt(
    shopper.client.fetch("/store/customers/me", { method: "GET", query: { fields: "*orders" } }),
  );
  const orders = me.body?.customer?.orders;
  check.known(
    "store customers: me with fields=*orders",
    me.body?.customer?.id === customer.id && Array.isArray(orders) && orders.some((o) => o.id === customerOrder.id),
    {
      request: 'GET /store/customers/me?fields=*orders (sdk.client.fetch, as the Next.js starter\'s retrieveCustomer)',
      expected: "200 { customer } with customer.orders (the customer-order link) listing the customer's orders",
      observed: outcome(me),
    },
  );
  if (Array.isArray(orders)) check.deepEqual(orders.map((o) => o.id), [customerOrder.id], "only the customer's orders");
  // The starter catches any failure as "not logged in": whatever the answer, the plain profile still works.
  const { customer: plain } = await shopper.store.customer.retrieve();
  check.equal(plain.id, customer.id, "me without fields");
});

// ---------------------------------------------------------------- store: a declined card
await step("a declined payment: complete answers the cart with payment_authorization_error", async () => {
  const email = `sdk-decline-${RUN}@example.com`;
  const declining = await readyCart(storefront, [[vase.variant.id, 2]], {
    email,
    provider: "pp_test_test",
    data: { outcome: "decline" },
  });
  check.deepEqual(
    declining.payment_collection?.payment_sessions?.map((s) => s.provider_id),
    ["pp_test_test"],
    "the session at pp_test_test",
  );
  const body = await storefront.store.cart.complete(declining.id);
  check.deepEqual(sorted(Object.keys(body)), ["cart", "error", "type"], "a refused complete's envelope");
  check.equal(body.type, "cart");
  check.equal(body.cart.id, declining.id, "the same cart");
  check.equal(body.cart.completed_at ?? null, null, "not completed");
  check.equal(body.error.type, "payment_authorization_error", `error ${JSON.stringify(body.error)}`);
  check.ok(typeof body.error.message === "string" && body.error.message.length > 0, "error.message");
  check.ok("name" in body.error, "error.name");
  check.deepEqual(await level(admin, vase.item).then((l) => [l.stocked, l.reserved]), [2, 0], "nothing reserved");
  const { orders } = await admin.admin.order.list({ q: email });
  check.deepEqual(orders, [], "no order for the declined cart");

  // The shopper picks another way to pay: body.cart carries the collection, so the SDK posts to it.
  check.ok(body.cart.payment_collection?.id, "the refused cart shows its payment collection");
  await storefront.store.payment.initiatePaymentSession(body.cart, { provider_id: "pp_system_default" });
  const paid = await storefront.store.cart.complete(declining.id);
  check.equal(paid.type, "order", `then ${JSON.stringify(paid).slice(0, 300)}`);
  money(paid.order.total, 2 * VASE + SHIPPING, "the order's total");
  check.equal(paid.order.payment_status, "authorized");
  check.deepEqual(await level(admin, vase.item).then((l) => [l.stocked, l.reserved]), [2, 2], "now reserved");
});

check.ok(guestOrder.id !== customerOrder.id, "two orders");
finish("store_checkout");
