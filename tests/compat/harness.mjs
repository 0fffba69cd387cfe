// Shared by the compat scripts: environment, the run id, named steps, counted checks, divergence records, retries
// and the one-line JSON summary. Each script runs in its own process, so this module's state is that run's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { FetchError } from "@medusajs/js-sdk";

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
};

export const BASE_URL = env("BASE_URL");
export const PUBLISHABLE_KEY = env("PUBLISHABLE_KEY");
export const ADMIN_EMAIL = env("ADMIN_EMAIL");
export const ADMIN_PASSWORD = env("ADMIN_PASSWORD");
export const SDK_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/@medusajs/js-sdk/package.json", import.meta.url), "utf8"),
).version;

// In Node there is no localStorage: without "memory" the SDK would drop the JWT after login.
export const auth = { type: "jwt", jwtTokenStorageMethod: "memory" };

// A suffix unique to this run for names, handles and codes, so a script tolerates a database others write to.
export const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export const steps = [];
export const divergences = [];
let checks = 0;

/** Runs one named step; a failure is re-thrown with the step's name and the HTTP status if any. */
export async function step(name, fn) {
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

export const check = {
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
  /** Every key in `keys` is present on `object`. */
  has(object, keys, what) {
    const missing = keys.filter((k) => !(k in object));
    assert.deepEqual(missing, [], `${what} lacks ${missing}: ${JSON.stringify(object)}`);
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
  /**
   * A behaviour Medusa has and the SDK relies on. When it does not hold, the run records a divergence
   * (request, expected, observed) in the summary instead of failing, so every other check still runs.
   */
  known(name, holds, { request, expected, observed }) {
    if (holds) checks += 1;
    else divergences.push({ name, request, expected, observed });
  },
};

/** Retries `fn` briefly: the store's caches follow admin writes through PostgreSQL NOTIFY, a few ms behind. */
export async function eventually(what, fn, { tries = 40, delayMs = 50 } = {}) {
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

/** Settles an SDK call: { body } on success, { status, message } on an HTTP error (anything else re-thrown). */
export async function attempt(promise) {
  try {
    return { body: await promise };
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    return { status: err.status, message: err.message };
  }
}
/** How a settled call looked, for a divergence record. */
export const outcome = (r) => (r.body ? `200 ${JSON.stringify(r.body).slice(0, 300)}` : `${r.status} ${JSON.stringify(r.message)}`);

export const sorted = (values) => [...values].sort();

/** Money compared to the cent: the server's decimals arrive as JSON numbers. */
export const cents = (value) => Math.round(Number(value) * 100);
export const money = (actual, expected, message) => check.equal(cents(actual), cents(expected), `${message}: ${actual}`);

const started = Date.now();

/** Prints the run's summary line (the pytest side reads the last line of stdout). */
export function finish(script) {
  console.log(
    JSON.stringify({
      ok: true,
      script,
      divergences,
      sdk: SDK_VERSION,
      steps: steps.length,
      checks,
      ms: Date.now() - started,
    }),
  );
}
