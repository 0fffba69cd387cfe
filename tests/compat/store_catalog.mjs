// Drives commerce-core's catalog through Medusa's official JS SDK (@medusajs/js-sdk, pinned in package.json):
// an admin builds a category tree, a collection and a priced product (options, variants, usd and eur prices)
// in the default sales channel; the storefront lists and retrieves it with calculated prices per region,
// filters it, browses categories and collections; a sale price list changes the price; a draft stays hidden.
// Any mismatch throws (non-zero exit); success prints one JSON line.
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
  check,
  eventually,
  finish,
  outcome,
  PUBLISHABLE_KEY,
  RUN,
  sorted,
  step,
} from "./harness.mjs";

const storefront = new Medusa({ baseUrl: BASE_URL, publishableKey: PUBLISHABLE_KEY, auth });
const admin = new Medusa({ baseUrl: BASE_URL, auth });

// Names and handles unique to this run, so the script tolerates a database other scripts also write to.
const HANDLE = `sdk-linen-shirt-${RUN}`;
const CP = "*variants.calculated_price";

const ids = (rows) => sorted(rows.map((r) => r.id));
/** The calculated prices of a product's variants, by variant title. */
const pricesByTitle = (product) => Object.fromEntries(product.variants.map((v) => [v.title, v.calculated_price]));

let channelId;
let northAmerica;
let europe;
let shirts;
let linen;
let internal;
let collection;
let shirt;
let variants; // title -> variant id
let draft;

// ---------------------------------------------------------------- admin: login, store, regions
await step("auth.login and admin.store.list, admin.region.list", async () => {
  const token = await admin.auth.login("user", "emailpass", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  check.equal(typeof token, "string", `login returned ${JSON.stringify(token)}`);
  const { stores } = await admin.admin.store.list();
  check.equal(stores.length, 1, "one store");
  channelId = stores[0].default_sales_channel_id;
  check.ok(typeof channelId === "string" && channelId.startsWith("sc_"), `default sales channel ${channelId}`);
  const { sales_channel: channel } = await admin.admin.salesChannel.retrieve(channelId);
  check.equal(channel.id, channelId);
  const { regions } = await admin.admin.region.list();
  const named = Object.fromEntries(regions.map((r) => [r.name, r]));
  northAmerica = named["North America"];
  europe = named.Europe;
  check.equal(northAmerica?.currency_code, "usd", "North America in usd");
  check.equal(europe?.currency_code, "eur", "Europe in eur");
});

// ---------------------------------------------------------------- admin: taxonomy
await step("admin.productCategory.create (a tree, and an internal one)", async () => {
  const created = await admin.admin.productCategory.create({
    name: `Shirts ${RUN}`,
    handle: `sdk-shirts-${RUN}`,
    description: "Shirts of every kind",
    is_active: true,
    is_internal: false,
    metadata: { source: "js-sdk" },
  });
  shirts = created.product_category;
  check.ok(shirts.id.startsWith("pcat_"), `category id ${shirts.id}`);
  check.equal(shirts.name, `Shirts ${RUN}`);
  check.equal(shirts.handle, `sdk-shirts-${RUN}`);
  check.equal(shirts.parent_category_id, null);
  check.has(shirts, ["id", "name", "description", "handle", "is_active", "is_internal", "rank", "metadata",
    "parent_category_id", "created_at", "updated_at"], "admin category");
  ({ product_category: linen } = await admin.admin.productCategory.create({
    name: `Linen ${RUN}`,
    is_active: true,
    parent_category_id: shirts.id,
  }));
  check.equal(linen.parent_category_id, shirts.id);
  check.equal(linen.handle, `linen-${RUN}`, "handle derived from the name");
  ({ product_category: internal } = await admin.admin.productCategory.create({
    name: `Backroom ${RUN}`,
    is_active: true,
    is_internal: true,
  }));
  const { product_category: again } = await admin.admin.productCategory.retrieve(shirts.id, {
    include_descendants_tree: true,
  });
  check.deepEqual(again.category_children.map((c) => c.id), [linen.id], "admin descendants tree");
  const listed = await admin.admin.productCategory.list({ q: RUN, limit: 10 });
  check.deepEqual(ids(listed.product_categories), sorted([shirts.id, linen.id, internal.id]), "admin list q");
});

await step("admin.productCollection.create", async () => {
  const created = await admin.admin.productCollection.create({ title: `Basics ${RUN}`, metadata: { season: "all" } });
  collection = created.collection;
  check.ok(collection.id.startsWith("pcol_"), `collection id ${collection.id}`);
  check.equal(collection.title, `Basics ${RUN}`);
  check.equal(collection.handle, `basics-${RUN}`, "handle derived from the title");
  check.deepEqual(collection.metadata, { season: "all" });
  const { collection: again } = await admin.admin.productCollection.retrieve(collection.id);
  check.equal(again.id, collection.id);
});

// ---------------------------------------------------------------- admin: products
await step("admin.product.create with options, variants and prices", async () => {
  const sizes = ["S", "M", "L"];
  const { product } = await admin.admin.product.create({
    title: `Linen Shirt ${RUN}`,
    handle: HANDLE,
    subtitle: "Cool in summer",
    description: "Breathable linen",
    status: "published",
    sales_channels: [{ id: channelId }],
    categories: [{ id: shirts.id }],
    collection_id: collection.id,
    options: [
      { title: "Size", values: sizes },
      { title: "Color", values: ["White"] },
    ],
    variants: sizes.map((size, i) => ({
      title: size,
      sku: `SDK-LINEN-${size}-${RUN}`,
      manage_inventory: false,
      variant_rank: i,
      options: { Size: size, Color: "White" },
      prices: [
        { currency_code: "usd", amount: 20 + i },
        { currency_code: "eur", amount: 18.5 + i },
      ],
    })),
    metadata: { source: "js-sdk" },
  },
  // Categories are not among Medusa's default admin product fields: ask for them.
  { fields: "*categories" });
  shirt = product;
  check.ok(product.id.startsWith("prod_"), `product id ${product.id}`);
  check.equal(product.status, "published");
  check.equal(product.handle, HANDLE);
  check.equal(product.collection_id, collection.id);
  check.deepEqual(product.categories.map((c) => c.id), [shirts.id], "categories");
  check.deepEqual(product.sales_channels.map((c) => c.id), [channelId], "sales channels");
  check.deepEqual(sorted(product.options.map((o) => o.title)), ["Color", "Size"], "options");
  const size = product.options.find((o) => o.title === "Size");
  check.deepEqual(sorted(size.values.map((v) => v.value)), ["L", "M", "S"], "option values");
  check.deepEqual(sorted(product.variants.map((v) => v.title)), ["L", "M", "S"], "variants");
  variants = Object.fromEntries(product.variants.map((v) => [v.title, v.id]));
  const m = product.variants.find((v) => v.title === "M");
  check.ok(m.id.startsWith("variant_"), `variant id ${m.id}`);
  check.equal(m.sku, `SDK-LINEN-M-${RUN}`);
  const optionTitles = Object.fromEntries(product.options.map((o) => [o.id, o.title]));
  check.deepEqual(
    sorted(m.options.map((o) => `${optionTitles[o.option_id]}=${o.value}`)),
    ["Color=White", "Size=M"],
    "variant option values",
  );
  const amounts = Object.fromEntries(m.prices.map((p) => [p.currency_code, p.amount]));
  check.deepEqual(amounts, { eur: 19.5, usd: 21 }, "variant prices");

  ({ product: draft } = await admin.admin.product.create({
    title: `Secret Draft ${RUN}`,
    handle: `sdk-secret-draft-${RUN}`,
    status: "draft",
    sales_channels: [{ id: channelId }],
    categories: [{ id: shirts.id }],
    collection_id: collection.id,
    options: [{ title: "Default", values: ["Default"] }],
    variants: [{ title: "Default", options: { Default: "Default" }, prices: [{ currency_code: "usd", amount: 5 }] }],
  }));
  check.equal(draft.status, "draft");
});

await step("admin.product.retrieve, list and listVariants", async () => {
  const { product } = await admin.admin.product.retrieve(shirt.id, { fields: "id,title,*variants.prices" });
  check.equal(product.id, shirt.id);
  check.equal(product.variants.length, 3);
  const listed = await admin.admin.product.list({ q: RUN, fields: "id,status" });
  check.deepEqual(ids(listed.products), sorted([shirt.id, draft.id]), "admin list q sees drafts too");
  const { variants: listedVariants, count } = await admin.admin.product.listVariants(shirt.id);
  check.equal(count, 3);
  check.deepEqual(ids(listedVariants), sorted(Object.values(variants)), "listVariants");
});

// ---------------------------------------------------------------- store: products with calculated prices
let listedShirt;
await step("store.product.list with region_id and calculated prices", async () => {
  const body = await eventually("the store lists the new product", async () => {
    const page = await storefront.store.product.list({ handle: HANDLE, region_id: northAmerica.id, fields: CP });
    assert.equal(page.products.length, 1, `products: ${JSON.stringify(page.products.map((p) => p.id))}`);
    return page;
  });
  check.deepEqual(sorted(Object.keys(body)), ["count", "limit", "offset", "products"], "list envelope");
  check.deepEqual([body.count, body.offset], [1, 0], "count, offset");
  listedShirt = body.products[0];
  check.equal(listedShirt.id, shirt.id);
  check.equal(listedShirt.title, `Linen Shirt ${RUN}`);
  check.equal(listedShirt.collection_id, collection.id);
  check.has(listedShirt, ["id", "title", "handle", "subtitle", "description", "thumbnail", "images", "options",
    "variants", "collection_id", "created_at", "updated_at"], "store product");
  const prices = pricesByTitle(listedShirt);
  check.deepEqual(sorted(Object.keys(prices)), ["L", "M", "S"]);
  const m = prices.M;
  check.has(m, ["id", "calculated_amount", "original_amount", "currency_code", "is_calculated_price_price_list",
    "is_calculated_price_tax_inclusive", "is_original_price_price_list", "calculated_price", "original_price"],
  "calculated_price");
  check.equal(m.calculated_amount, 21);
  check.equal(m.original_amount, 21);
  check.equal(m.currency_code, "usd");
  check.equal(m.is_calculated_price_price_list, false);
  check.equal(m.calculated_price.price_list_id, null);
  check.equal(prices.S.calculated_amount, 20);
  check.equal(prices.L.calculated_amount, 22);
  const variant = listedShirt.variants.find((v) => v.title === "M");
  check.equal(variant.id, variants.M);
  check.ok(variant.options.some((o) => o.value === "M"), `variant options ${JSON.stringify(variant.options)}`);
});

await step("store.product.list without prices, and per currency and country", async () => {
  const plain = await storefront.store.product.list({ handle: HANDLE });
  check.ok(!("calculated_price" in plain.products[0].variants[0]), "prices only when asked for");
  check.ok(!("status" in plain.products[0]), "no status in the store");
  const eur = await storefront.store.product.list({ handle: HANDLE, region_id: europe.id, fields: CP });
  const eurPrices = pricesByTitle(eur.products[0]);
  check.equal(eurPrices.S.calculated_amount, 18.5);
  check.equal(eurPrices.M.calculated_amount, 19.5);
  check.equal(eurPrices.M.currency_code, "eur");
  const byCurrency = await storefront.store.product.list({ handle: HANDLE, currency_code: "eur", fields: CP });
  check.equal(pricesByTitle(byCurrency.products[0]).L.calculated_amount, 20.5, "currency_code");
  const byCountry = await storefront.store.product.list({ handle: HANDLE, country_code: "us", fields: CP });
  check.equal(pricesByTitle(byCountry.products[0]).L.currency_code, "usd", "country_code");
  await check.rejects(storefront.store.product.list({ fields: CP }), 400, "region_id", "Bad Request");
  await check.rejects(
    storefront.store.product.list({ fields: CP, region_id: "reg_missing" }),
    404,
    "reg_missing",
    "Not Found",
  );
});

await step("store.product.retrieve with region_id and fields", async () => {
  const na = await storefront.store.product.retrieve(shirt.id, { region_id: northAmerica.id, fields: CP });
  check.deepEqual(Object.keys(na), ["product"], "retrieve envelope");
  check.deepEqual(na.product, listedShirt, "retrieve equals the listed product");
  const eu = await storefront.store.product.retrieve(shirt.id, { region_id: europe.id, fields: CP });
  const prices = pricesByTitle(eu.product);
  check.deepEqual([prices.M.calculated_amount, prices.M.currency_code], [19.5, "eur"]);
  const slim = await storefront.store.product.retrieve(shirt.id, { fields: "id,title,variants.sku" });
  check.deepEqual(sorted(Object.keys(slim.product)), ["id", "title", "variants"], "selected fields");
  check.deepEqual(sorted(slim.product.variants.map((v) => v.sku)), sorted(["L", "M", "S"].map((s) => `SDK-LINEN-${s}-${RUN}`)));
  const withRelations = await storefront.store.product.retrieve(shirt.id, { fields: "id,*collection,*categories" });
  check.equal(withRelations.product.collection.title, `Basics ${RUN}`, "*collection");
  check.deepEqual(withRelations.product.categories.map((c) => c.id), [shirts.id], "*categories");
  await check.rejects(storefront.store.product.retrieve("prod_missing"), 404, "prod_missing", "Not Found");
});

await step("store.product.list filters: q, handle, category_id, collection_id, id", async () => {
  const found = async (query) => ids((await storefront.store.product.list(query)).products);
  check.deepEqual(await found({ q: `linen shirt ${RUN}` }), [shirt.id], "q");
  check.deepEqual(await found({ q: `wool-${RUN}` }), [], "q without a match");
  check.deepEqual(await found({ category_id: shirts.id }), [shirt.id], "category_id as a string");
  check.deepEqual(await found({ category_id: [shirts.id] }), [shirt.id], "category_id as an array (qs index form)");
  check.deepEqual(await found({ category_id: [linen.id] }), [], "a child category holds nothing");
  check.deepEqual(await found({ collection_id: collection.id }), [shirt.id], "collection_id");
  check.deepEqual(await found({ collection_id: [collection.id] }), [shirt.id], "collection_id as an array");
  check.deepEqual(await found({ id: [shirt.id, draft.id] }), [shirt.id], "id filter");
  const paged = await storefront.store.product.list({ collection_id: collection.id, limit: 1, offset: 1 });
  check.deepEqual([paged.count, paged.limit, paged.offset, paged.products.length], [1, 1, 1, 0], "paging");
});

await step("a draft product is not in the store", async () => {
  const { products } = await storefront.store.product.list({ q: RUN, limit: 100 });
  check.deepEqual(ids(products), [shirt.id], "only the published product");
  check.deepEqual(ids((await storefront.store.product.list({ handle: `sdk-secret-draft-${RUN}` })).products), []);
  await check.rejects(storefront.store.product.retrieve(draft.id), 404, draft.id, "Not Found");
  // Published later, it appears.
  await admin.admin.product.update(draft.id, { status: "published" });
  await eventually("the store sees the published draft", () => storefront.store.product.retrieve(draft.id));
  await admin.admin.product.update(draft.id, { status: "draft" });
  await eventually("the store hides the product again", () =>
    check.rejects(storefront.store.product.retrieve(draft.id), 404, draft.id),
  );
});

// ---------------------------------------------------------------- store: categories and collections
await step("store.category.list and retrieve with include_descendants_tree", async () => {
  const body = await eventually("the store lists the new categories", async () => {
    const page = await storefront.store.category.list({ q: RUN, limit: 50 });
    assert.deepEqual(ids(page.product_categories), sorted([shirts.id, linen.id]));
    return page;
  });
  check.deepEqual(sorted(Object.keys(body)), ["count", "limit", "offset", "product_categories"], "list envelope");
  check.equal(body.count, 2, "the internal category is not listed");
  const listed = body.product_categories.find((c) => c.id === shirts.id);
  check.has(listed, ["id", "name", "handle", "description", "rank", "parent_category_id", "parent_category",
    "category_children", "created_at", "updated_at"], "store category");
  check.equal(listed.handle, `sdk-shirts-${RUN}`);
  check.ok(!("is_internal" in listed) || listed.is_internal === false, "no internal flag leaks");
  const all = await storefront.store.category.list({ limit: 200 });
  check.ok(!all.product_categories.some((c) => c.id === internal.id), "internal category hidden");
  const byHandle = await storefront.store.category.list({ handle: `sdk-shirts-${RUN}` });
  check.deepEqual(ids(byHandle.product_categories), [shirts.id], "handle filter");
  const children = await storefront.store.category.list({ parent_category_id: shirts.id });
  check.deepEqual(ids(children.product_categories), [linen.id], "parent_category_id filter");

  const { product_category: tree } = await storefront.store.category.retrieve(shirts.id, {
    include_descendants_tree: true,
  });
  check.equal(tree.id, shirts.id);
  check.deepEqual(tree.category_children.map((c) => c.id), [linen.id], "descendants tree");
  check.equal(tree.category_children[0].parent_category_id, shirts.id);
  const { product_category: child } = await storefront.store.category.retrieve(linen.id, { fields: "id,name,*parent_category" });
  check.equal(child.parent_category?.id, shirts.id, "*parent_category");
  await check.rejects(storefront.store.category.retrieve(internal.id), 404, internal.id, "Not Found");
  await check.rejects(storefront.store.category.retrieve("pcat_missing"), 404, "pcat_missing", "Not Found");
});

await step("store.collection.list and retrieve", async () => {
  const body = await eventually("the store lists the new collection", async () => {
    const page = await storefront.store.collection.list({ limit: 100 });
    assert.ok(page.collections.some((c) => c.id === collection.id), "collection listed");
    return page;
  });
  check.deepEqual(sorted(Object.keys(body)), ["collections", "count", "limit", "offset"], "list envelope");
  const listed = body.collections.find((c) => c.id === collection.id);
  check.has(listed, ["id", "title", "handle", "metadata", "created_at", "updated_at"], "store collection");
  check.equal(listed.title, `Basics ${RUN}`);
  const byHandle = await storefront.store.collection.list({ handle: `basics-${RUN}` });
  check.deepEqual(ids(byHandle.collections), [collection.id], "handle filter");
  const { collection: one } = await storefront.store.collection.retrieve(collection.id);
  check.equal(one.id, collection.id);
  check.equal(one.handle, `basics-${RUN}`);
  const slim = await storefront.store.collection.retrieve(collection.id, { fields: "id,title" });
  check.deepEqual(slim.collection, { id: collection.id, title: `Basics ${RUN}` }, "selected fields");
  await check.rejects(storefront.store.collection.retrieve("pcol_missing"), 404, "pcol_missing", "Not Found");
});

// ---------------------------------------------------------------- store: field selections storefronts send
// Medusa's Next.js starter (src/lib/data/products.ts, categories.ts) sends the first two `fields` through the SDK;
// Medusa 2.21 answers all of these with 200. A mismatch is recorded as a divergence instead of failing the run.
await step("store field selections and defaults storefronts rely on", async () => {
  const starterProducts = "*variants.calculated_price,+variants.inventory_quantity,+metadata,+tags";
  const products = await attempt(
    storefront.store.product.list({ handle: HANDLE, region_id: northAmerica.id, fields: starterProducts }),
  );
  check.known(
    "store products: fields +variants.inventory_quantity",
    products.body?.products?.length === 1 &&
      products.body.products[0].variants.every((v) => v.calculated_price?.calculated_amount !== undefined),
    {
      request: `sdk.store.product.list({ region_id, fields: "${starterProducts}" })`,
      expected: "200; Medusa drops variants.inventory_quantity from the query and fills it in from inventory",
      observed: outcome(products),
    },
  );

  const starterCategories = "*category_children, *products, *parent_category, *parent_category.parent_category";
  const categories = await attempt(storefront.store.category.list({ q: RUN, fields: starterCategories, limit: 100 }));
  check.known(
    "store categories: fields *parent_category.parent_category",
    categories.body?.product_categories?.some((c) => c.id === linen.id && c.parent_category?.id === shirts.id),
    {
      request: `sdk.store.category.list({ fields: "${starterCategories}" })`,
      expected: "200 with nested relations (the starter's listCategories)",
      observed: outcome(categories),
    },
  );

  const withProducts = await attempt(storefront.store.category.retrieve(shirts.id, { fields: "id,*products" }));
  check.known(
    "store categories: fields *products",
    withProducts.body?.product_category?.products?.some((p) => p.id === shirt.id),
    {
      request: 'sdk.store.category.retrieve(id, { fields: "id,*products" }) for a category holding a published product',
      expected: "200 with product_category.products listing the product",
      observed: outcome(withProducts),
    },
  );

  const collectionProducts = await attempt(
    storefront.store.collection.retrieve(collection.id, { fields: "id,*products" }),
  );
  check.known(
    "store collections: fields *products",
    collectionProducts.body?.collection?.products?.some((p) => p.id === shirt.id),
    {
      request: 'sdk.store.collection.retrieve(id, { fields: "id,*products" })',
      expected: "200 with collection.products (products is an allowed store collection field)",
      observed: outcome(collectionProducts),
    },
  );

  const collections = await storefront.store.collection.list();
  check.known("store collections: default limit", collections.limit === 10, {
    request: "sdk.store.collection.list() without limit",
    expected: "limit 10 (Medusa's store collections listTransformQueryConfig.defaultLimit)",
    observed: `limit ${collections.limit}`,
  });
});

// ---------------------------------------------------------------- admin: a sale price list, seen by the store
await step("admin.priceList.create (sale) changes calculated_amount", async () => {
  const { price_list: priceList } = await admin.admin.priceList.create({
    title: `Summer sale ${RUN}`,
    description: "Linen for less",
    type: "sale",
    status: "active",
    prices: [{ variant_id: variants.M, currency_code: "usd", amount: 12 }],
  });
  check.ok(priceList.id.startsWith("plist_"), `price list id ${priceList.id}`);
  check.equal(priceList.type, "sale");
  check.equal(priceList.status, "active");
  check.deepEqual(
    priceList.prices.map((p) => [p.variant_id, p.currency_code, p.amount]),
    [[variants.M, "usd", 12]],
    "price list prices",
  );
  const quote = async () =>
    pricesByTitle(
      (await storefront.store.product.retrieve(shirt.id, { region_id: northAmerica.id, fields: CP })).product,
    );
  const t0 = Date.now();
  const prices = await eventually(
    "the sale price reaches the store",
    async () => {
      const seen = await quote();
      assert.equal(seen.M.calculated_amount, 12);
      return seen;
    },
    { tries: 40, delayMs: 25 },
  );
  const ms = Date.now() - t0;
  check.ok(ms < 1000, `sale price visible after ${ms} ms`);
  check.equal(prices.M.original_amount, 21, "original amount kept");
  check.equal(prices.M.is_calculated_price_price_list, true);
  check.equal(prices.M.calculated_price.price_list_id, priceList.id);
  check.equal(prices.M.calculated_price.price_list_type, "sale");
  check.equal(prices.S.calculated_amount, 20, "other variants unchanged");
  const eu = await storefront.store.product.retrieve(shirt.id, { region_id: europe.id, fields: CP });
  check.equal(pricesByTitle(eu.product).M.calculated_amount, 19.5, "a usd sale leaves eur alone");

  const { price_list: paused } = await admin.admin.priceList.update(priceList.id, { status: "draft" });
  check.equal(paused.status, "draft");
  await eventually("a draft price list stops applying", async () => {
    assert.equal((await quote()).M.calculated_amount, 21);
  });
  check.ok(true, "a draft price list stopped applying"); // counted once eventually() has passed
  const deleted = await admin.admin.priceList.delete(priceList.id);
  check.deepEqual(deleted, { id: priceList.id, object: "price_list", deleted: true });
});

finish("store_catalog");
