// Drives commerce-core's customer flows through Medusa's official JS SDK (@medusajs/js-sdk, pinned in
// package.json): emailpass registration, customer creation, login, profile and address book, isolation
// between customers, logout, token refresh, password reset requests, and cookie sessions. Any mismatch
// throws (non-zero exit); success prints one JSON line.
//
// Environment: BASE_URL, PUBLISHABLE_KEY.
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
const SDK_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/@medusajs/js-sdk/package.json", import.meta.url), "utf8"),
).version;

// In Node there is no localStorage: without "memory" the SDK would drop the JWT after login.
const jwtAuth = { type: "jwt", jwtTokenStorageMethod: "memory" };
const newSdk = (auth = jwtAuth) => new Medusa({ baseUrl: BASE_URL, publishableKey: PUBLISHABLE_KEY, auth });

const RUN = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const emailFor = (who) => `sdk-${who}-${RUN}@example.com`;
const PASSWORD = "a long enough sdk password";

const steps = [];
const divergences = [];
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
  /** A Medusa behaviour the SDK exposes (these once diverged; now they must hold). */
  known(name, holds, observed) {
    assert.ok(holds, `${name}: ${observed}`);
    checks += 1;
  },
  /** The promise must reject with the SDK's FetchError carrying `status` and a message containing `contains`. */
  async rejects(promise, status, contains = "", statusText = undefined) {
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

const sorted = (values) => [...values].sort();
const ids = (addresses) => sorted(addresses.map((a) => a.id));
const CUSTOMER_KEYS = [
  "id",
  "email",
  "first_name",
  "last_name",
  "phone",
  "company_name",
  "has_account",
  "metadata",
  "addresses",
  "default_billing_address_id",
  "default_shipping_address_id",
  "created_at",
  "updated_at",
];

/** sdk.auth.register, then sdk.store.customer.create with the registration token the SDK kept, then login. */
async function signUp(sdk, email, profile) {
  const registration = await sdk.auth.register("customer", "emailpass", { email, password: PASSWORD });
  check.equal(typeof registration, "string", `register returned ${JSON.stringify(registration)}`);
  check.equal(await sdk.client.getToken(), registration, "registration token kept by the SDK");
  const { customer } = await sdk.store.customer.create({ email, ...profile });
  const token = await sdk.auth.login("customer", "emailpass", { email, password: PASSWORD });
  check.equal(typeof token, "string", `login returned ${JSON.stringify(token)}`);
  check.equal(token.split(".").length, 3, "a JWT");
  check.ok(token !== registration, "login issues a new token");
  check.equal(await sdk.client.getToken(), token, "login token kept by the SDK");
  return customer;
}

const started = Date.now();
const alice = newSdk();
const bob = newSdk();
const aliceEmail = emailFor("alice");
let aliceCustomer;
let home;
let work;

// ---------------------------------------------------------------- register, create, login, me
await step("auth.register, store.customer.create, auth.login", async () => {
  aliceCustomer = await signUp(alice, aliceEmail, { first_name: "Ada", last_name: "Lovelace" });
  check.ok(aliceCustomer.id.startsWith("cus_"), `customer id ${aliceCustomer.id}`);
  check.equal(aliceCustomer.email, aliceEmail);
  check.equal(aliceCustomer.first_name, "Ada");
  check.equal(aliceCustomer.last_name, "Lovelace");
  check.equal(aliceCustomer.has_account, true);
  check.deepEqual(aliceCustomer.addresses, [], "no addresses yet");
});

await step("auth.register rejects a taken email", async () => {
  const other = newSdk();
  await check.rejects(
    other.auth.register("customer", "emailpass", { email: aliceEmail, password: PASSWORD }),
    401,
    "already exists",
    "Unauthorized",
  );
  check.equal(await other.client.getToken(), "", "no token kept after a failed registration");
});

await step("store.customer.retrieve", async () => {
  const { customer } = await alice.store.customer.retrieve();
  for (const key of CUSTOMER_KEYS) check.ok(key in customer, `customer has ${key}: ${Object.keys(customer)}`);
  check.equal(customer.id, aliceCustomer.id);
  check.equal(customer.email, aliceEmail);
  check.equal(customer.first_name, "Ada");
  const slim = await alice.store.customer.retrieve({ fields: "id,email" });
  check.deepEqual(slim.customer, { id: aliceCustomer.id, email: aliceEmail }, "fields");
});

await step("store.customer.update", async () => {
  const { customer } = await alice.store.customer.update({
    first_name: "Augusta",
    phone: "+44 20 7946 0000",
    company_name: "Analytical Engines Ltd",
    metadata: { source: "js-sdk" },
  });
  check.equal(customer.id, aliceCustomer.id);
  check.equal(customer.first_name, "Augusta");
  check.equal(customer.last_name, "Lovelace", "untouched field kept");
  check.equal(customer.phone, "+44 20 7946 0000");
  check.equal(customer.company_name, "Analytical Engines Ltd");
  check.deepEqual(customer.metadata, { source: "js-sdk" });
  const { customer: again } = await alice.store.customer.retrieve();
  check.equal(again.first_name, "Augusta", "update persisted");
  const slim = await alice.store.customer.update({ last_name: "King" }, { fields: "id,last_name" });
  check.deepEqual(slim.customer, { id: aliceCustomer.id, last_name: "King" }, "update with fields");
  await check.rejects(alice.store.customer.update({ email: "x@example.com" }), 400, "email", "Bad Request");
});

// ---------------------------------------------------------------- the address book
await step("store.customer.createAddress", async () => {
  const first = await alice.store.customer.createAddress({
    address_name: "Home",
    first_name: "Ada",
    last_name: "Lovelace",
    address_1: "12 St James's Square",
    city: "London",
    country_code: "gb",
    postal_code: "SW1Y 4JH",
    phone: "+44 20 7946 0001",
    is_default_shipping: true,
    is_default_billing: true,
    metadata: { floor: 2 },
  });
  check.equal(first.customer.id, aliceCustomer.id, "createAddress answers with the customer");
  check.equal(first.customer.addresses.length, 1);
  home = first.customer.addresses[0];
  check.ok(home.id.startsWith("cuaddr_"), `address id ${home.id}`);
  check.equal(home.address_name, "Home");
  check.equal(home.city, "London");
  check.equal(home.country_code, "gb");
  check.equal(home.is_default_shipping, true);
  check.equal(home.is_default_billing, true);
  check.deepEqual(home.metadata, { floor: 2 });
  check.equal(home.customer_id, aliceCustomer.id);
  check.equal(first.customer.default_shipping_address_id, home.id);
  check.equal(first.customer.default_billing_address_id, home.id);

  const second = await alice.store.customer.createAddress({
    address_name: "Work",
    address_1: "1 Babbage Road",
    city: "Cambridge",
    country_code: "GB",
    is_default_shipping: true,
  });
  check.equal(second.customer.addresses.length, 2);
  work = second.customer.addresses.find((a) => a.address_name === "Work");
  check.ok(work, "the new address is in the customer's addresses");
  check.equal(work.country_code, "gb", "country code lower-cased");
  check.equal(second.customer.default_shipping_address_id, work.id, "a new default shipping address");
  check.equal(second.customer.default_billing_address_id, home.id, "default billing unchanged");
  check.equal(second.customer.addresses.find((a) => a.id === home.id).is_default_shipping, false);
  await check.rejects(alice.store.customer.createAddress({ country_code: "GBR" }), 400, "country_code", "Bad Request");
});

await step("store.customer.listAddress", async () => {
  const all = await alice.store.customer.listAddress();
  check.deepEqual(sorted(Object.keys(all)), ["addresses", "count", "limit", "offset"], "list envelope");
  check.equal(all.count, 2);
  check.equal(all.offset, 0);
  check.deepEqual(ids(all.addresses), sorted([home.id, work.id]));
  const found = await alice.store.customer.listAddress({ q: "cambridge" });
  check.deepEqual(found.addresses.map((a) => a.id), [work.id], "q filter");
  check.equal(found.count, 1);
  const paged = await alice.store.customer.listAddress({ limit: 1, offset: 1, fields: "id,city" });
  check.deepEqual([paged.count, paged.limit, paged.offset, paged.addresses.length], [2, 1, 1, 1], "paging");
  const keys = sorted(Object.keys(paged.addresses[0]));
  check.known("listAddress honours fields", keys.join() === "city,id", `fields=id,city gave keys ${keys}`);
});

await step("store.customer.retrieveAddress", async () => {
  const { address } = await alice.store.customer.retrieveAddress(home.id);
  check.equal(address.id, home.id);
  check.equal(address.address_1, "12 St James's Square");
  check.equal(address.postal_code, "SW1Y 4JH");
  const slim = await alice.store.customer.retrieveAddress(work.id, { fields: "id,address_name" });
  check.equal(slim.address.id, work.id);
  const keys = sorted(Object.keys(slim.address));
  check.known("retrieveAddress honours fields", keys.join() === "address_name,id", `fields=id,address_name gave keys ${keys}`);
  await check.rejects(alice.store.customer.retrieveAddress("cuaddr_missing"), 404, "cuaddr_missing", "Not Found");
});

await step("store.customer.updateAddress", async () => {
  const { customer } = await alice.store.customer.updateAddress(home.id, {
    address_2: "Flat 3",
    is_default_shipping: true,
  });
  check.equal(customer.id, aliceCustomer.id, "updateAddress answers with the customer");
  const updated = customer.addresses.find((a) => a.id === home.id);
  check.equal(updated.address_2, "Flat 3");
  check.equal(updated.city, "London", "untouched field kept");
  check.equal(customer.default_shipping_address_id, home.id, "default shipping moved back");
  check.equal(customer.addresses.find((a) => a.id === work.id).is_default_shipping, false);
  const { address } = await alice.store.customer.retrieveAddress(home.id);
  check.equal(address.address_2, "Flat 3", "update persisted");
});

// ---------------------------------------------------------------- a second customer, and token refresh
let bobAddress;
await step("a second customer: register, create, auth.refresh", async () => {
  const bobEmail = emailFor("bob");
  await bob.auth.register("customer", "emailpass", { email: bobEmail, password: PASSWORD });
  await check.rejects(bob.store.customer.retrieve(), 401, "", "Unauthorized"); // no customer behind it yet
  const { customer } = await bob.store.customer.create({ email: bobEmail, first_name: "Bob" });
  // The registration token has no customer yet; a refreshed one does, without logging in again.
  const refreshed = await bob.auth.refresh();
  check.equal(typeof refreshed.token, "string", `refresh returned ${JSON.stringify(refreshed)}`);
  check.equal(await bob.client.getToken(), refreshed.token, "refreshed token kept by the SDK");
  const { customer: me } = await bob.store.customer.retrieve();
  check.equal(me.id, customer.id, "the refreshed token reaches the new customer");
  const created = await bob.store.customer.createAddress({ city: "Bobville", country_code: "us" });
  bobAddress = created.customer.addresses[0];
  check.equal(bobAddress.city, "Bobville");
});

await step("a customer cannot read or change another customer's address", async () => {
  await check.rejects(bob.store.customer.retrieveAddress(home.id), 404, home.id, "Not Found");
  await check.rejects(bob.store.customer.updateAddress(home.id, { city: "Mine" }), 404, home.id, "Not Found");
  await check.rejects(bob.store.customer.deleteAddress(home.id), 404, home.id, "Not Found");
  await check.rejects(alice.store.customer.retrieveAddress(bobAddress.id), 404, bobAddress.id, "Not Found");
  const bobs = await bob.store.customer.listAddress();
  check.deepEqual(bobs.addresses.map((a) => a.id), [bobAddress.id], "only bob's own address");
  const { address } = await alice.store.customer.retrieveAddress(home.id);
  check.equal(address.city, "London", "alice's address untouched");
  const { addresses } = await alice.store.customer.listAddress();
  check.deepEqual(ids(addresses), sorted([home.id, work.id]), "alice still has both addresses");
});

await step("store.customer.deleteAddress", async () => {
  const deleted = await alice.store.customer.deleteAddress(work.id);
  check.deepEqual(sorted(Object.keys(deleted)), ["deleted", "id", "object", "parent"], "delete envelope");
  check.known("deleteAddress object is \"address\"", deleted.object === "address", `object ${deleted.object}`);
  // Medusa 2.x sets `id` to the customer's id here (actor_id), not the address's: only its type is checked.
  check.equal(typeof deleted.id, "string");
  check.equal(deleted.deleted, true);
  check.equal(deleted.parent.id, aliceCustomer.id, "parent is the customer");
  check.deepEqual(deleted.parent.addresses.map((a) => a.id), [home.id], "parent's remaining addresses");
  await check.rejects(alice.store.customer.retrieveAddress(work.id), 404, work.id, "Not Found");
  await check.rejects(alice.store.customer.deleteAddress(work.id), 404, work.id, "Not Found");
  const { count } = await alice.store.customer.listAddress();
  check.equal(count, 1);
});

// ---------------------------------------------------------------- logout, bad logins, password reset
await step("auth.logout", async () => {
  await alice.auth.logout();
  check.equal(await alice.client.getToken(), "", "token dropped");
  await check.rejects(alice.store.customer.retrieve(), 401, "", "Unauthorized");
  await check.rejects(alice.store.customer.listAddress(), 401, "", "Unauthorized");
  // Logging in again restores access.
  await alice.auth.login("customer", "emailpass", { email: aliceEmail, password: PASSWORD });
  const { customer } = await alice.store.customer.retrieve();
  check.equal(customer.id, aliceCustomer.id);
  await alice.auth.logout();
});

await step("auth.login rejects a wrong password and an unknown email", async () => {
  const other = newSdk();
  await check.rejects(
    other.auth.login("customer", "emailpass", { email: aliceEmail, password: `${PASSWORD}-wrong` }),
    401,
    "",
    "Unauthorized",
  );
  await check.rejects(
    other.auth.login("customer", "emailpass", { email: emailFor("nobody"), password: PASSWORD }),
    401,
    "",
    "Unauthorized",
  );
  check.equal(await other.client.getToken(), "", "no token kept after a failed login");
  await check.rejects(other.store.customer.retrieve(), 401, "", "Unauthorized");
});

await step("auth.resetPassword", async () => {
  const anon = newSdk();
  check.equal(await anon.auth.resetPassword("customer", "emailpass", { identifier: aliceEmail }), undefined);
  // The same answer for an email nobody registered.
  check.equal(await anon.auth.resetPassword("customer", "emailpass", { identifier: emailFor("nobody") }), undefined);
  // The old password still works until a reset is completed.
  const token = await anon.auth.login("customer", "emailpass", { email: aliceEmail, password: PASSWORD });
  check.equal(typeof token, "string");
});

// ---------------------------------------------------------------- cookie sessions (auth type "session")
// With { type: "session" } the SDK swaps the JWT for a cookie (POST /auth/session) and sends requests with
// credentials: "include", relying on the browser's cookie jar. Node's fetch has no cookie jar, so first
// show that limit, then give fetch a minimal jar (honouring `credentials` like a browser) and run the flow.
const sessionAuth = { type: "session" };

await step("session auth without a cookie jar (plain Node fetch)", async () => {
  const sdk = newSdk(sessionAuth);
  const token = await sdk.auth.login("customer", "emailpass", { email: aliceEmail, password: PASSWORD });
  check.equal(typeof token, "string", "login (and POST /auth/session) succeed");
  await check.rejects(sdk.store.customer.retrieve(), 401, "", "Unauthorized");
});

const jar = new Map();
const nodeFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  if (init.credentials !== "include") return nodeFetch(input, init);
  const headers = new Headers(init.headers);
  if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
  const resp = await nodeFetch(input, { ...init, headers });
  for (const line of resp.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
    const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a));
    if (expired || value === "") jar.delete(name);
    else jar.set(name, value);
  }
  return resp;
};

await step("session auth with a cookie jar: register, create, login, me, logout", async () => {
  const sdk = newSdk(sessionAuth);
  const email = emailFor("carol");
  // In session mode the SDK does not send the registration JWT by itself: pass it to create().
  const registration = await sdk.auth.register("customer", "emailpass", { email, password: PASSWORD });
  check.equal(jar.size, 0, "registration sets no cookie");
  await check.rejects(sdk.store.customer.create({ email }), 401, "", "Unauthorized");
  const { customer } = await sdk.store.customer.create({ email, first_name: "Carol" }, {}, {
    Authorization: `Bearer ${registration}`,
  });
  check.equal(customer.email, email);

  await sdk.auth.login("customer", "emailpass", { email, password: PASSWORD });
  check.ok(jar.has("connect.sid"), `session cookie stored: ${[...jar.keys()]}`);
  const { customer: me } = await sdk.store.customer.retrieve();
  check.equal(me.id, customer.id, "the cookie reaches the customer");
  const { customer: updated } = await sdk.store.customer.update({ last_name: "Session" });
  check.equal(updated.last_name, "Session");
  const created = await sdk.store.customer.createAddress({ city: "Cookietown", country_code: "fr" });
  const [address] = created.customer.addresses;
  check.equal((await sdk.store.customer.retrieveAddress(address.id)).address.city, "Cookietown");
  check.equal((await sdk.store.customer.deleteAddress(address.id)).deleted, true);

  const stale = jar.get("connect.sid");
  await sdk.auth.logout();
  check.equal(jar.has("connect.sid"), false, "logout clears the cookie");
  await check.rejects(sdk.store.customer.retrieve(), 401, "", "Unauthorized");
  // The old session id is dead on the server too, not only forgotten by the jar.
  jar.set("connect.sid", stale);
  await check.rejects(sdk.store.customer.retrieve(), 401, "", "Unauthorized");
  jar.clear();
});

globalThis.fetch = nodeFetch;

console.log(
  JSON.stringify({
    ok: true,
    script: "store_customers",
    divergences,
    sdk: SDK_VERSION,
    steps: steps.length,
    checks,
    ms: Date.now() - started,
  }),
);
