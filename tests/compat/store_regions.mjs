// Drives commerce-core through Medusa's official JS SDK (@medusajs/js-sdk, pinned in package.json):
// the store region and currency routes, admin login, admin region CRUD seen by the store, and a
// publishable API key's lifecycle. Any mismatch throws (non-zero exit); success prints one JSON line.
//
// Environment: BASE_URL, PUBLISHABLE_KEY, ADMIN_EMAIL, ADMIN_PASSWORD.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import Medusa, { FetchError } from "@medusajs/js-sdk";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
};

const BASE_URL = env("BASE_URL");
const PUBLISHABLE_KEY = env("PUBLISHABLE_KEY");
const ADMIN_EMAIL = env("ADMIN_EMAIL");
const ADMIN_PASSWORD = env("ADMIN_PASSWORD");
const SDK_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/@medusajs/js-sdk/package.json", import.meta.url), "utf8"),
).version;

// In Node there is no localStorage: without "memory" the SDK would drop the JWT after login.
const auth = { type: "jwt", jwtTokenStorageMethod: "memory" };
const storefront = new Medusa({ baseUrl: BASE_URL, publishableKey: PUBLISHABLE_KEY, auth });
const admin = new Medusa({ baseUrl: BASE_URL, auth });

const steps = [];
let checks = 0;

/** Runs one named step; a failure is re-thrown with the step's name and the HTTP status if any. */
async function step(name, fn) {
  try {
    await fn();
    steps.push(name);
  } catch (err) {
    const http = err instanceof FetchError ? ` [HTTP ${err.status} ${err.statusText}]` : "";
    const wrapped = new Error(`step "${name}" failed${http}: ${err.message}`);
    wrapped.cause = err;
    throw wrapped;
  }
}

const check = {
  equal(actual, expected, message) {
    assert.equal(actual, expected, message);
    checks += 1;
  },
  deepEqual(actual, expected, message) {
    assert.deepEqual(actual, expected, message);
    checks += 1;
  },
  ok(value, message) {
    assert.ok(value, message);
    checks += 1;
  },
  /** The promise must reject with the SDK's FetchError carrying `status` and a message containing `contains`. */
  async rejects(promise, status, contains, statusText) {
    await assert.rejects(promise, (err) => {
      assert.ok(err instanceof FetchError, `expected a FetchError, got ${err?.name}: ${err?.message}`);
      assert.equal(err.status, status, `status (message: ${err.message})`);
      if (statusText) assert.equal(err.statusText, statusText, "statusText");
      assert.ok(err.message.includes(contains), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(contains)}`);
      return true;
    });
    checks += 1;
  },
};

/** Retries `fn` briefly: the store's cache follows admin writes through PostgreSQL NOTIFY, a few ms behind. */
async function eventually(what, fn, { tries = 40, delayMs = 50 } = {}) {
  let last;
  for (let i = 0; i < tries; i += 1) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  throw new Error(`${what}: still failing after ${(tries * delayMs) / 1000} s: ${last?.message}`, { cause: last });
}

const byName = (regions) => Object.fromEntries(regions.map((r) => [r.name, r]));
const iso2 = (region) => region.countries.map((c) => c.iso_2).sort();
const sorted = (values) => [...values].sort();

const started = Date.now();
let northAmerica;
let europe;

// ---------------------------------------------------------------- store: regions
await step("store.region.list", async () => {
  const body = await storefront.store.region.list();
  check.deepEqual(sorted(Object.keys(body)), ["count", "limit", "offset", "regions"], "list envelope");
  check.deepEqual([body.count, body.offset, body.limit], [2, 0, 20], "count, offset, limit");
  const named = byName(body.regions);
  check.deepEqual(sorted(Object.keys(named)), ["Europe", "North America"], "region names");
  northAmerica = named["North America"];
  europe = named.Europe;
  check.equal(northAmerica.currency_code, "usd");
  check.equal(europe.currency_code, "eur");
  check.deepEqual(iso2(northAmerica), ["ca", "us"], "North America countries");
  check.ok(iso2(europe).includes("de") && iso2(europe).includes("fr"), `Europe countries: ${iso2(europe)}`);
  for (const key of ["id", "name", "currency_code", "created_at", "updated_at", "metadata", "countries"]) {
    check.ok(key in northAmerica, `region has ${key}`);
  }
  check.ok(northAmerica.id.startsWith("reg_"), `region id ${northAmerica.id}`);
  const us = northAmerica.countries.find((c) => c.iso_2 === "us");
  check.equal(us.iso_3, "usa");
  check.equal(us.num_code, "840");
  check.equal(us.display_name, "United States");
  check.equal(us.region_id, northAmerica.id);
});

await step("store.region.list with fields, limit, offset", async () => {
  const body = await storefront.store.region.list({ fields: "id,name,currency_code", limit: 1, offset: 1, order: "name" });
  check.deepEqual([body.count, body.offset, body.limit, body.regions.length], [2, 1, 1, 1], "paging");
  check.deepEqual(sorted(Object.keys(body.regions[0])), ["currency_code", "id", "name"], "selected fields");
  check.equal(body.regions[0].name, "North America", "second region by name");
  const minus = await storefront.store.region.list({ fields: "-countries,-metadata" });
  check.ok(minus.regions.every((r) => !("countries" in r) && !("metadata" in r)), "fields with minus");
});

await step("store.region.list with filters", async () => {
  const eur = await storefront.store.region.list({ currency_code: "eur" });
  check.deepEqual(eur.regions.map((r) => r.name), ["Europe"], "currency_code filter");
  const north = await storefront.store.region.list({ q: "north" });
  check.equal(north.count, 1, "q filter");
  check.equal(north.regions[0].id, northAmerica.id);
});

await step("store.region.retrieve", async () => {
  const { region } = await storefront.store.region.retrieve(northAmerica.id);
  check.equal(region.id, northAmerica.id);
  check.equal(region.name, "North America");
  check.deepEqual(iso2(region), ["ca", "us"]);
  const slim = await storefront.store.region.retrieve(europe.id, { fields: "name,*payment_providers" });
  check.equal(slim.region.name, "Europe");
  check.ok(
    slim.region.payment_providers.some((p) => p.id === "pp_system_default"),
    `payment providers: ${JSON.stringify(slim.region.payment_providers)}`,
  );
  await check.rejects(storefront.store.region.retrieve("reg_missing"), 404, "reg_missing", "Not Found");
});

await step("store rejects a wrong publishable key", async () => {
  const stranger = new Medusa({ baseUrl: BASE_URL, publishableKey: "pk_wrong", auth });
  await check.rejects(stranger.store.region.list(), 400, "A valid publishable key is required", "Bad Request");
  const keyless = new Medusa({ baseUrl: BASE_URL, auth });
  await check.rejects(keyless.store.region.list(), 400, "x-publishable-api-key", "Bad Request");
});

// ---------------------------------------------------------------- store: currencies (no SDK helper: client.fetch)
await step("store currencies through sdk.client.fetch", async () => {
  const body = await storefront.client.fetch("/store/currencies", { query: { limit: 200 } });
  const codes = body.currencies.map((c) => c.code);
  check.ok(codes.includes("usd") && codes.includes("eur"), `currency codes: ${codes.slice(0, 10)}`);
  check.equal(body.count >= codes.length, true, "count");
  const { currency } = await storefront.client.fetch("/store/currencies/usd");
  check.equal(currency.code, "usd");
  check.equal(currency.symbol, "$");
});

// ---------------------------------------------------------------- auth
await step("auth.login rejects a wrong password", async () => {
  const other = new Medusa({ baseUrl: BASE_URL, auth });
  await check.rejects(
    other.auth.login("user", "emailpass", { email: ADMIN_EMAIL, password: `${ADMIN_PASSWORD}-wrong` }),
    401,
    "",
    "Unauthorized",
  );
  await check.rejects(other.admin.region.list(), 401, "", "Unauthorized");
});

await step("auth.login", async () => {
  const token = await admin.auth.login("user", "emailpass", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  check.equal(typeof token, "string", `login returned ${JSON.stringify(token)}`);
  check.equal(token.split(".").length, 3, "a JWT");
  check.equal(await admin.client.getToken(), token, "token kept by the SDK");
});

// ---------------------------------------------------------------- admin: regions, seen by the store
let created;
await step("admin.region.create", async () => {
  const { region } = await admin.admin.region.create({
    name: "Compat Nordics",
    currency_code: "nok",
    countries: ["no", "is"],
    automatic_taxes: false,
    payment_providers: ["pp_system_default"],
    metadata: { source: "js-sdk" },
  });
  created = region;
  check.ok(region.id.startsWith("reg_"), `region id ${region.id}`);
  check.equal(region.name, "Compat Nordics");
  check.equal(region.currency_code, "nok");
  check.equal(region.automatic_taxes, false);
  check.deepEqual(region.metadata, { source: "js-sdk" });
  check.deepEqual(iso2(region), ["is", "no"]);
});

await step("admin.region.retrieve and list", async () => {
  const { region } = await admin.admin.region.retrieve(created.id);
  check.equal(region.id, created.id);
  check.equal(region.name, "Compat Nordics");
  const listed = await admin.admin.region.list({ q: "compat", fields: "id,name" });
  check.equal(listed.count, 1, "admin list q");
  check.deepEqual(listed.regions, [{ id: created.id, name: "Compat Nordics" }]);
});

await step("store.region.retrieve sees the new region", async () => {
  const { region } = await eventually("store sees the created region", () =>
    storefront.store.region.retrieve(created.id),
  );
  check.equal(region.name, "Compat Nordics");
  check.equal(region.currency_code, "nok");
});

await step("admin.region.update", async () => {
  const { region } = await admin.admin.region.update(created.id, { name: "Compat Norway", countries: ["no"] });
  check.equal(region.name, "Compat Norway");
  check.deepEqual(iso2(region), ["no"]);
  await eventually("store sees the renamed region", async () => {
    const seen = await storefront.store.region.retrieve(created.id);
    assert.equal(seen.region.name, "Compat Norway");
  });
  checks += 1;
});

await step("admin.region.delete", async () => {
  const deleted = await admin.admin.region.delete(created.id);
  check.deepEqual(deleted, { id: created.id, object: "region", deleted: true });
  await eventually("store forgets the deleted region", () =>
    check.rejects(storefront.store.region.retrieve(created.id), 404, created.id),
  );
  await check.rejects(admin.admin.region.retrieve(created.id), 404, "", "Not Found");
  await check.rejects(
    admin.admin.region.create({ name: "Bad", currency_code: "zzz" }),
    400,
    "zzz",
    "Bad Request",
  );
});

// ---------------------------------------------------------------- admin: a publishable key's lifecycle
await step("admin.apiKey create, use, revoke, delete", async () => {
  const { api_key: key } = await admin.admin.apiKey.create({ title: "JS SDK compat", type: "publishable" });
  check.ok(key.id.startsWith("apk_"), `api key id ${key.id}`);
  check.ok(key.token.startsWith("pk_"), "publishable token");
  check.equal(key.title, "JS SDK compat");
  check.equal(key.type, "publishable");
  check.equal(key.revoked_at, null);
  const app = new Medusa({ baseUrl: BASE_URL, publishableKey: key.token, auth });
  await eventually("the new key opens the store", () => app.store.region.list());

  const { api_key: again } = await admin.admin.apiKey.retrieve(key.id);
  check.equal(again.id, key.id);
  const listed = await admin.admin.apiKey.list({ q: "js sdk compat" });
  check.deepEqual(listed.api_keys.map((k) => k.id), [key.id], "admin api key list q");

  const { api_key: revoked } = await admin.admin.apiKey.revoke(key.id);
  check.ok(revoked.revoked_at, "revoked_at set");
  await eventually("the revoked key closes the store", () =>
    check.rejects(app.store.region.list(), 400, "A valid publishable key is required"),
  );

  const deleted = await admin.admin.apiKey.delete(key.id);
  check.deepEqual(deleted, { id: key.id, object: "api_key", deleted: true });
  await check.rejects(admin.admin.apiKey.retrieve(key.id), 404, "", "Not Found");
});

// ---------------------------------------------------------------- admin: read-only neighbours
await step("admin currencies, stores, sales channels", async () => {
  const { currency } = await admin.admin.currency.retrieve("eur");
  check.equal(currency.code, "eur");
  const currencies = await admin.admin.currency.list({ limit: 5 });
  check.equal(currencies.limit, 5);
  check.ok(currencies.currencies.length <= 5 && currencies.count >= 2, "currency paging");
  const stores = await admin.admin.store.list();
  check.equal(stores.stores.length, 1, "one store");
  const { store } = await admin.admin.store.retrieve(stores.stores[0].id);
  check.equal(store.default_region_id, northAmerica.id, "default region");
  const channels = await admin.admin.salesChannel.list();
  check.ok(channels.count >= 1, "sales channels");
});

console.log(
  JSON.stringify({
    ok: true,
    script: "store_regions",
    sdk: SDK_VERSION,
    steps: steps.length,
    checks,
    ms: Date.now() - started,
  }),
);
