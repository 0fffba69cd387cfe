// What the checkout scripts (store_checkout, admin_orders) share: the shop the Python side built for them
// (tests/shop.py's `build`, passed as JSON in SHOP: channel, region, location, option, profile; pp_test_test enabled
// in the region beside pp_system_default), stocked products made through the admin SDK, and a guest's purchase
// through the store SDK, step by step as a storefront makes it.
import assert from "node:assert/strict";

import { check, env, eventually, RUN } from "./harness.mjs";

/** { channel, region, location, option, profile }: see SHOP_SCRIPTS in test_js_sdk.py. */
export const SHOP = JSON.parse(env("SHOP"));

export const ADDRESS = {
  first_name: "Ada",
  last_name: "Lovelace",
  address_1: "1 Main St",
  city: "Springfield",
  country_code: "us",
  postal_code: "12345",
};

/** Each order's shipping: the shop's flat Standard option. */
export const SHIPPING = 10;

/**
 * A published product with one variant priced in usd, in the shop's shipping profile and sales channel, whose
 * inventory item (made by product.create for a managed variant) holds `stock` units at the shop's location.
 * Returns { product, variant, item } (item: the inventory item id).
 */
export async function stockedProduct(admin, storefront, name, price, stock) {
  const sku = `SDK-${name.toUpperCase()}-${RUN}`;
  const { product } = await admin.admin.product.create({
    title: `${name} ${RUN}`,
    handle: `sdk-${name.toLowerCase()}-${RUN}`,
    status: "published",
    shipping_profile_id: SHOP.profile,
    sales_channels: [{ id: SHOP.channel }],
    options: [{ title: "Size", values: ["One"] }],
    variants: [
      {
        title: "One",
        sku,
        manage_inventory: true,
        options: { Size: "One" },
        prices: [{ currency_code: "usd", amount: price }],
      },
    ],
  });
  const [variant] = product.variants;
  const { inventory_items: items } = await admin.admin.inventoryItem.list({ sku });
  check.equal(items.length, 1, `one inventory item for ${sku}`);
  const item = items[0].id;
  const batch = await admin.admin.inventoryItem.batchInventoryItemLocationLevels(item, {
    create: [{ location_id: SHOP.location, stocked_quantity: stock }],
  });
  check.equal(batch.created?.length, 1, `a level created: ${JSON.stringify(batch).slice(0, 300)}`);
  await eventually(`the store sees ${name}`, async () => {
    const { products } = await storefront.store.product.list({ handle: product.handle });
    assert.equal(products.length, 1);
  });
  return { product, variant, item };
}

/** The item's level at the shop's location, through sdk.admin.inventoryItem.listLevels. */
export async function level(admin, item) {
  const { inventory_levels: levels } = await admin.admin.inventoryItem.listLevels(item);
  const found = levels.find((l) => l.location_id === SHOP.location);
  assert.ok(found, `no level at ${SHOP.location}: ${JSON.stringify(levels)}`);
  return { stocked: Number(found.stocked_quantity), reserved: Number(found.reserved_quantity), raw: found };
}

/**
 * A guest's cart made ready to complete through the store SDK: create with items, email and addresses, the shop's
 * shipping option, a payment session at `provider` (with `data`). Returns the cart as last answered.
 */
export async function readyCart(storefront, lines, { email, provider = "pp_system_default", data } = {}) {
  const { cart } = await storefront.store.cart.create({
    region_id: SHOP.region,
    email,
    items: lines.map(([variant_id, quantity]) => ({ variant_id, quantity })),
    shipping_address: ADDRESS,
    billing_address: ADDRESS,
  });
  await storefront.store.cart.addShippingMethod(cart.id, { option_id: SHOP.option });
  const body = { provider_id: provider };
  if (data) body.data = data;
  await storefront.store.payment.initiatePaymentSession(cart, body);
  return (await storefront.store.cart.retrieve(cart.id)).cart;
}

/** A guest's order of these [variant_id, quantity] lines. */
export async function placeOrder(storefront, lines, email) {
  const cart = await readyCart(storefront, lines, { email });
  const body = await storefront.store.cart.complete(cart.id);
  assert.equal(body.type, "order", `complete answered ${JSON.stringify(body).slice(0, 400)}`);
  return body.order;
}
