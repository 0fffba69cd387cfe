// Drives commerce-core's order administration through Medusa's official JS SDK (@medusajs/js-sdk, pinned in
// package.json), as Medusa's dashboard does: in the shop the Python side built (SHOP, see shop.mjs) two guests buy
// through the store SDK (3 chairs; 2 kettles); the admin finds the orders (order.list, retrieve with payments and
// fulfillments), captures the chair order's payment, fulfils it (stock leaves the shelf), ships it with a tracking
// label, marks it delivered, refunds part of it; a shipped order cannot be canceled; the kettle order is canceled
// and its reservation released (inventoryItem.list, retrieve, listLevels before and after).
// Any mismatch throws (non-zero exit); success prints one JSON line.
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
  finish,
  money,
  outcome,
  PUBLISHABLE_KEY,
  RUN,
  sorted,
  step,
} from "./harness.mjs";
import { level, placeOrder, SHIPPING, SHOP, stockedProduct } from "./shop.mjs";

const storefront = new Medusa({ baseUrl: BASE_URL, publishableKey: PUBLISHABLE_KEY, auth });
const admin = new Medusa({ baseUrl: BASE_URL, auth });

const CHAIR = 70;
const KETTLE = 30;
const CHAIR_TOTAL = 3 * CHAIR + SHIPPING;
const REFUND = 20;
// The dashboard's order list (packages/admin/dashboard/src/routes/orders/order-list/const.ts, without
// custom_display_id, which 2.21's order has not).
const LIST_FIELDS =
  "id,status,created_at,email,display_id,payment_status,fulfillment_status,total,currency_code," +
  "*customer,*sales_channel,*payment_collections";
const DETAIL_FIELDS = "*items,*payment_collections.payments,*fulfillments";
const LABEL = {
  tracking_number: `TRACK-${RUN}`,
  tracking_url: "https://track.example/1",
  label_url: "https://label.example/1",
};

let chair;
let kettle;
let chairOrder;
let kettleOrder;
let paymentId;
let lineId;
let fulfillmentId;

/** The order as the dashboard's detail page reads it (the brief's fields). */
const detail = async (id, fields = DETAIL_FIELDS) => (await admin.admin.order.retrieve(id, { fields })).order;
const statuses = (order) => [order.status, order.payment_status, order.fulfillment_status];

// ---------------------------------------------------------------- the shop sells; two guests buy
await step("admin: two stocked products; two guests buy through the store SDK", async () => {
  await admin.auth.login("user", "emailpass", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  chair = await stockedProduct(admin, storefront, "Chair", CHAIR, 4);
  kettle = await stockedProduct(admin, storefront, "Kettle", KETTLE, 3);
  chairOrder = await placeOrder(storefront, [[chair.variant.id, 3]], `sdk-chairs-${RUN}@example.com`);
  kettleOrder = await placeOrder(storefront, [[kettle.variant.id, 2]], `sdk-kettles-${RUN}@example.com`);
  money(chairOrder.total, CHAIR_TOTAL, "chair order total");
  money(kettleOrder.total, 2 * KETTLE + SHIPPING, "kettle order total");
});

// ---------------------------------------------------------------- admin: stock as the orders left it
await step("admin.inventoryItem.list, retrieve, listLevels: the orders' reservations", async () => {
  const listed = await admin.admin.inventoryItem.list({ sku: chair.variant.sku });
  check.deepEqual(sorted(Object.keys(listed)), ["count", "inventory_items", "limit", "offset"], "list envelope");
  check.deepEqual(listed.inventory_items.map((i) => i.id), [chair.item], "found by sku");
  money(listed.inventory_items[0].reserved_quantity, 3, "listed reserved_quantity");
  money(listed.inventory_items[0].stocked_quantity, 4, "listed stocked_quantity");

  const { inventory_item: item } = await admin.admin.inventoryItem.retrieve(chair.item);
  check.equal(item.id, chair.item);
  check.equal(item.sku, chair.variant.sku);
  money(item.reserved_quantity, 3, "reserved_quantity");
  money(item.stocked_quantity, 4, "stocked_quantity");
  const at = item.location_levels?.find((l) => l.location_id === SHOP.location);
  check.ok(at, `location_levels ${JSON.stringify(item.location_levels)}`);
  money(at.available_quantity, 1, "available at the shop's location");

  const levels = await admin.admin.inventoryItem.listLevels(kettle.item);
  check.deepEqual(sorted(Object.keys(levels)), ["count", "inventory_levels", "limit", "offset"], "levels envelope");
  const kettleLevel = await level(admin, kettle.item);
  check.deepEqual([kettleLevel.stocked, kettleLevel.reserved], [3, 2], "2 kettles reserved");
  money(kettleLevel.raw.available_quantity, 1, "1 kettle available");
  await check.rejects(admin.admin.inventoryItem.retrieve("iitem_missing"), 404, "iitem_missing");
});

// ---------------------------------------------------------------- admin: find the orders
await step("admin.order.list: the dashboard's fields, search, paging", async () => {
  const body = await admin.admin.order.list({ fields: LIST_FIELDS, limit: 20, offset: 0, order: "-created_at" });
  check.deepEqual(sorted(Object.keys(body)), ["count", "limit", "offset", "orders"], "list envelope");
  const byId = Object.fromEntries(body.orders.map((o) => [o.id, o]));
  check.ok(byId[chairOrder.id] && byId[kettleOrder.id], "both orders listed");
  const listed = byId[chairOrder.id];
  check.deepEqual(
    [listed.email, listed.display_id, listed.currency_code],
    [chairOrder.email, chairOrder.display_id, "usd"],
    "listed order",
  );
  check.deepEqual(statuses(listed), ["pending", "authorized", "not_fulfilled"], "listed statuses");
  money(listed.total, CHAIR_TOTAL, "listed total");
  check.equal(listed.payment_collections?.length, 1, "*payment_collections");
  // The dashboard's list shows each order's customer and sales channel: Medusa resolves both links.
  check.known("admin orders: *sales_channel", listed.sales_channel?.id === SHOP.channel, {
    request: `sdk.admin.order.list({ fields: "${LIST_FIELDS}" }) (the dashboard's order list)`,
    expected: "orders[].sales_channel = { id, name, ... } (the order's sales channel)",
    observed: `sales_channel ${JSON.stringify(listed.sales_channel)}`,
  });
  // Medusa's create-cart workflow finds or creates a guest customer for a cart's email; the order keeps it.
  const { customer_id: customerId } = await detail(chairOrder.id, "customer_id");
  check.known("admin orders: *customer of a guest order", listed.customer?.email === chairOrder.email, {
    request: `sdk.admin.order.list({ fields: "...,*customer,..." }) for a guest's order (cart created with email)`,
    expected: "orders[].customer = { id, email, has_account: false, ... } (the guest customer of the email)",
    observed: `customer ${JSON.stringify(listed.customer)} (the order's customer_id: ${JSON.stringify(customerId)})`,
  });
  const newestFirst = body.orders.map((o) => o.id);
  check.ok(newestFirst.indexOf(kettleOrder.id) < newestFirst.indexOf(chairOrder.id), "order=-created_at");

  const found = await admin.admin.order.list({ q: chairOrder.email });
  check.deepEqual(found.orders.map((o) => o.id), [chairOrder.id], "q finds by email");
  const paged = await admin.admin.order.list({ limit: 1, offset: 0 });
  check.deepEqual([paged.orders.length, paged.limit, paged.offset], [1, 1, 0], "paging");
  check.ok(paged.count >= 2, `count ${paged.count}`);
});

await step("admin.order.retrieve with *items, *payment_collections.payments, *fulfillments", async () => {
  const order = await detail(chairOrder.id);
  check.equal(order.id, chairOrder.id);
  check.deepEqual(statuses(order), ["pending", "authorized", "not_fulfilled"], "statuses");
  check.equal(order.items.length, 1);
  lineId = order.items[0].id;
  check.deepEqual([order.items[0].variant_id, order.items[0].quantity], [chair.variant.id, 3], "the line");
  check.deepEqual(order.fulfillments, [], "no fulfillments yet");
  check.equal(order.payment_collections.length, 1, "one payment collection");
  const [collection] = order.payment_collections;
  money(collection.amount, CHAIR_TOTAL, "collection amount");
  check.equal(collection.payments.length, 1, "one payment");
  const [payment] = collection.payments;
  paymentId = payment.id;
  check.ok(/^pay_/.test(payment.id), `payment id ${payment.id}`);
  check.equal(payment.provider_id, "pp_system_default");
  money(payment.amount, CHAIR_TOTAL, "payment amount");
  check.equal(payment.captured_at ?? null, null, "not captured");
  await check.rejects(admin.admin.order.retrieve("order_missing"), 404, "order_missing");
});

// ---------------------------------------------------------------- admin: take the money
await step("admin.payment.capture(paymentId, {}): the whole amount, payment_status captured", async () => {
  const body = await admin.admin.payment.capture(paymentId, {});
  check.deepEqual(Object.keys(body), ["payment"], "capture envelope");
  const { payment } = body;
  check.equal(payment.id, paymentId);
  check.ok(payment.captured_at, `captured_at ${payment.captured_at}`);
  check.equal(payment.captures?.length, 1, `captures ${JSON.stringify(payment.captures)}`);
  money(payment.captures[0].amount, CHAIR_TOTAL, "captured amount");
  const order = await detail(chairOrder.id);
  check.equal(order.payment_status, "captured");
  // The dashboard's payment summary: the capture is an order transaction, nothing outstanding.
  money(order.summary?.paid_total, CHAIR_TOTAL, "summary.paid_total");
  money(order.summary?.pending_difference, 0, "summary.pending_difference");
  // Capturing a captured payment again never charges twice (Medusa's payment module returns it as it is, guarded
  // by captured_at; some versions refuse with 400 instead: either way, one capture).
  const again = await attempt(admin.admin.payment.capture(paymentId, {}));
  check.ok(again.body || again.status === 400, `capture again: ${outcome(again)}`);
  const { payment: seen } = await admin.admin.payment.retrieve(paymentId, { fields: "*captures" });
  check.equal(seen.captures?.length, 1, "still one capture");
});

// ---------------------------------------------------------------- admin: pick, ship, deliver
await step("admin.order.createFulfillment: the 3 chairs leave the shelf", async () => {
  const body = await admin.admin.order.createFulfillment(chairOrder.id, { items: [{ id: lineId, quantity: 3 }] });
  check.deepEqual(Object.keys(body), ["order"], "createFulfillment envelope");
  check.equal(body.order.fulfillment_status, "fulfilled");
  const order = await detail(chairOrder.id);
  check.equal(order.fulfillments.length, 1, "one fulfillment");
  const [made] = order.fulfillments;
  fulfillmentId = made.id;
  check.ok(/^ful_/.test(made.id), `fulfillment id ${made.id}`);
  check.equal(made.location_id, SHOP.location, "from the shop's location");
  check.equal(made.shipped_at ?? null, null, "not shipped yet");
  const after = await level(admin, chair.item);
  check.deepEqual([after.stocked, after.reserved], [1, 0], "stock and reservation down by 3");
  await check.rejects(
    admin.admin.order.createFulfillment(chairOrder.id, { items: [{ id: lineId, quantity: 1 }] }),
    400,
  );
});

await step("admin.order.createShipment with items and a tracking label: shipped", async () => {
  const body = await admin.admin.order.createShipment(chairOrder.id, fulfillmentId, {
    items: [{ id: lineId, quantity: 3 }],
    labels: [LABEL],
  });
  check.equal(body.order?.fulfillment_status, "shipped");
  const order = await detail(chairOrder.id, "*fulfillments,*fulfillments.labels");
  const [shipped] = order.fulfillments;
  check.ok(shipped.shipped_at, `shipped_at ${shipped.shipped_at}`);
  check.deepEqual(
    shipped.labels?.map((l) => [l.tracking_number, l.tracking_url, l.label_url]),
    [[LABEL.tracking_number, LABEL.tracking_url, LABEL.label_url]],
    "the label",
  );
  // A shipped fulfillment cannot be canceled.
  await check.rejects(admin.admin.order.cancelFulfillment(chairOrder.id, fulfillmentId, {}), 400);
});

await step("admin.order.markAsDelivered: delivered", async () => {
  const body = await admin.admin.order.markAsDelivered(chairOrder.id, fulfillmentId);
  check.equal(body.order?.fulfillment_status, "delivered");
  const order = await detail(chairOrder.id);
  check.ok(order.fulfillments[0].delivered_at, `delivered_at ${order.fulfillments[0].delivered_at}`);
  check.deepEqual(statuses(order), ["pending", "captured", "delivered"], "statuses");
});

// ---------------------------------------------------------------- admin: money back, and what cannot be undone
await step("admin.payment.refund: part of the capture, payment_status partially_refunded", async () => {
  const body = await admin.admin.payment.refund(paymentId, { amount: REFUND, note: "scratched leg" });
  check.deepEqual(Object.keys(body), ["payment"], "refund envelope");
  const { payment } = body;
  check.equal(payment.id, paymentId);
  check.equal(payment.refunds?.length, 1, `refunds ${JSON.stringify(payment.refunds)}`);
  money(payment.refunds[0].amount, REFUND, "refund amount");
  const refunded = await detail(chairOrder.id);
  check.equal(refunded.payment_status, "partially_refunded");
  money(refunded.summary?.refunded_total, REFUND, "summary.refunded_total");
  // pending_difference: the order total less the net transactions (220 - (220 - 20)).
  money(refunded.summary?.pending_difference, REFUND, "summary.pending_difference");
  // No more back than was captured.
  await check.rejects(admin.admin.payment.refund(paymentId, { amount: CHAIR_TOTAL }), 400);
  check.equal((await detail(chairOrder.id)).payment_status, "partially_refunded", "the refused refund changed nothing");
});

await step("admin.order.cancel: a shipped order is refused", async () => {
  const refused = await attempt(admin.admin.order.cancel(chairOrder.id));
  check.equal(refused.status, 400, `cancel a shipped order: ${outcome(refused)}`);
  check.equal((await detail(chairOrder.id)).status, "pending", "still pending");
});

await step("admin.order.cancel(otherOrderId): canceled, payment canceled, the reservation released", async () => {
  check.deepEqual(await level(admin, kettle.item).then((l) => [l.stocked, l.reserved]), [3, 2], "before");
  const body = await admin.admin.order.cancel(kettleOrder.id);
  check.deepEqual(Object.keys(body), ["order"], "cancel envelope");
  check.equal(body.order.id, kettleOrder.id);
  check.equal(body.order.status, "canceled");
  check.ok(body.order.canceled_at, `canceled_at ${body.order.canceled_at}`);
  check.equal(body.order.payment_status, "canceled");
  const after = await level(admin, kettle.item);
  check.deepEqual([after.stocked, after.reserved], [3, 0], "reservation released, stock untouched");
  money(after.raw.available_quantity, 3, "all 3 available again");
  const { inventory_item: item } = await admin.admin.inventoryItem.retrieve(kettle.item);
  money(item.reserved_quantity, 0, "item reserved_quantity");
  const order = await detail(kettleOrder.id);
  check.ok(order.payment_collections[0].payments[0].canceled_at, "the payment canceled");
  await check.rejects(admin.admin.order.cancel(kettleOrder.id), 400);
});

finish("admin_orders");
