// Lava's own Node SDK (npm @lavapayments/nodejs, pinned in package.json) through one spend key's life,
// as a new user would write it: `new Lava(secretKey, { baseUrl })`, then `lava.spendKeys.create`, `list`,
// `retrieve`, `update`, `rotate` and `revoke`.
//
// Input, from the environment:
//   LAVA_SDK_BASE_URL  the SDK's `baseUrl`, e.g. http://127.0.0.1:8400/v1/ (the spec's server URL and a
//                      slash: the SDK resolves its relative paths, `spend_keys...`, with `new URL(path,
//                      baseUrl)`, as its own default https://api.lavapayments.com/v1/ does)
//   LAVA_API_KEY       the secret key the SDK sends as `Authorization: Bearer <key>`
//   LAVA_SDK_NAME      optional: the name of the key to create (default `node-sdk-lifecycle`)
//
// Output: one JSON line per method, in the order above, and nothing else on stdout. "outcome" is
//   "ok"        the SDK answered, every lifecycle check held, every answer has the SDK's declared shape;
//   "mismatch"  the SDK answered and the lifecycle held, but an answer breaks the SDK's types
//               (dist/index.d.ts): "mismatches" lists each field missing or mistyped;
//   "failed"    the SDK threw ("error" is its message: `Lava API Error: <status> ...`), or a lifecycle
//               check failed ("error" names it);
//   "not_run"   create gave no spend key to act on.
// e.g. {"method":"rotate","outcome":"ok","checks":["spend_key_id is the same", ...]}
// "checks" lists the lifecycle checks made, "notes" what was seen but is no failure. Neither the secret
// key nor a raw spend key is ever printed: every line passes through `redact` first. Exit status: 0 when
// all six methods are ok, 1 when any is not, 2 when the input is unusable.

import { Lava } from "@lavapayments/nodejs";

const METHODS = ["create", "list", "retrieve", "update", "rotate", "revoke"];
// `list` walks pages of this size until it finds the key it created, at most this many pages.
const PAGE_LIMIT = 100;
const MAX_PAGES = 50;

const baseUrl = process.env.LAVA_SDK_BASE_URL ?? "";
const secretKey = process.env.LAVA_API_KEY ?? "";
if (!baseUrl || !secretKey) {
  process.stderr.write(
    "lifecycle.mjs: set LAVA_SDK_BASE_URL (the SDK's baseUrl, ending in a slash) and LAVA_API_KEY\n",
  );
  process.exit(2);
}
if (!baseUrl.endsWith("/")) {
  process.stderr.write(
    `lifecycle.mjs: LAVA_SDK_BASE_URL must end with a slash (${baseUrl}/): the SDK resolves its ` +
      "relative paths against it with new URL(path, baseUrl), which drops a last segment without one\n",
  );
  process.exit(2);
}

// Every secret this run holds: the secret key, and each raw spend key as it is revealed.
const secrets = new Set([secretKey]);

function redact(text) {
  let redacted = String(text);
  for (const secret of secrets) {
    if (secret) redacted = redacted.split(secret).join("<redacted>");
  }
  return redacted;
}

function describe(error) {
  return redact(error instanceof Error ? error.message : JSON.stringify(error));
}

// ---- The SDK's promises, from @lavapayments/nodejs 11.2.0 dist/index.d.ts ----
const SHAPE = ["openai", "anthropic"];
const STATUS = ["active", "paused"];
const CYCLE = ["daily", "weekly", "monthly", "total"];

const isString = (value) => typeof value === "string";
const isInteger = (value) => Number.isInteger(value);
const isNullable = (check) => (value) => value === null || check(value);
const isOneOf = (values) => (value) => values.includes(value);
const isStringArray = (value) => Array.isArray(value) && value.every(isString);
const isObjectWith = (fields) => (value) =>
  value !== null &&
  typeof value === "object" &&
  Object.entries(fields).every(([name, check]) => name in value && check(value[name]));

// type RestSpendKey: every field present (none is optional), with these types.
const REST_SPEND_KEY = {
  spend_key_id: isString,
  key_preview: isString,
  name: isString,
  status: isOneOf(STATUS),
  request_shape: isOneOf(SHAPE),
  wallet_id: isString,
  allowed_models: isNullable(isStringArray),
  allowed_providers: isNullable(isStringArray),
  spend_limit: isNullable(isObjectWith({ amount: isString, cycle: isOneOf(CYCLE) })),
  current_spend: isString,
  total_spend: isString,
  request_limit: isNullable(isObjectWith({ count: isInteger, cycle: isOneOf(CYCLE) })),
  current_requests: isInteger,
  total_requests: isInteger,
  rate_limit: isNullable(isObjectWith({ rpm: isInteger, burst: isNullable(isInteger) })),
  expires_at: isNullable(isString),
  last_used_at: isNullable(isString),
  created_at: isString,
};

// Where `value` breaks the SDK's RestSpendKey (or RestSpendKeyCreated, which adds `key: string`): a list of
// {field, problem} with problem "missing" (the type marks no field optional) or "mistyped".
function spendKeyMismatches(value, { created }) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [{ field: "", problem: "mistyped", value: typeof value }];
  }
  const mismatches = [];
  for (const [name, check] of Object.entries(REST_SPEND_KEY)) {
    if (!(name in value)) mismatches.push({ field: name, problem: "missing" });
    else if (!check(value[name])) mismatches.push({ field: name, problem: "mistyped", value: value[name] });
  }
  if (created && !(isString(value.key) && value.key.length > 0)) {
    mismatches.push({ field: "key", problem: "key" in value ? "mistyped" : "missing" });
  }
  return mismatches;
}

// Fields the SDK's type does not name: no mismatch (a TypeScript type allows more), but worth a note.
function extraFields(value, { created }) {
  const known = new Set([...Object.keys(REST_SPEND_KEY), ...(created ? ["key"] : [])]);
  return Object.keys(value ?? {}).filter((name) => !known.has(name));
}

class CheckFailed extends Error {}

// One method's record: the lifecycle checks made (the first that fails ends the method), where the answers
// break the SDK's types (recorded, the method goes on), and notes.
class Step {
  constructor(method) {
    this.method = method;
    this.checks = [];
    this.mismatches = new Map();
    this.notes = [];
  }

  check(description, holds, detail = "") {
    this.checks.push(description);
    if (!holds) throw new CheckFailed(`${description}${detail ? `: ${detail}` : ""}`);
  }

  shape(value, { created }) {
    const type = created ? "RestSpendKeyCreated" : "RestSpendKey";
    for (const mismatch of spendKeyMismatches(value, { created })) {
      this.mismatches.set(`${mismatch.field} ${mismatch.problem}`, { type, ...mismatch });
    }
    const extra = extraFields(value, { created });
    const note = `fields the SDK's ${type} does not name: ${extra.join(", ")}`;
    if (extra.length > 0 && !this.notes.includes(note)) this.notes.push(note);
  }

  record(outcome, error) {
    const record = { method: this.method, outcome };
    if (error !== undefined) record.error = error;
    record.checks = this.checks;
    if (this.mismatches.size > 0) record.mismatches = [...this.mismatches.values()];
    if (this.notes.length > 0) record.notes = this.notes;
    return record;
  }
}

const results = new Map();

async function run(method, body) {
  const step = new Step(method);
  try {
    const value = await body(step);
    results.set(method, step.record(step.mismatches.size > 0 ? "mismatch" : "ok"));
    return value;
  } catch (error) {
    results.set(method, step.record("failed", describe(error)));
    return undefined;
  }
}

function notRun(method, reason) {
  results.set(method, { method, outcome: "not_run", error: reason });
}

const lava = new Lava(secretKey, { baseUrl });
const name = process.env.LAVA_SDK_NAME || "node-sdk-lifecycle";
const spendLimit = { amount: "25.00", cycle: "monthly" };

// The key create answered, whatever create's own checks then find: the other methods act on it.
let created;
await run("create", async (step) => {
  // No request_shape: the API's default applies, and the SDK's type says the answer carries one.
  const key = await lava.spendKeys.create({ name, spend_limit: spendLimit });
  if (isString(key?.key)) secrets.add(key.key);
  if (isString(key?.spend_key_id)) created = key;
  step.shape(key, { created: true });
  step.check("name is the one sent", key.name === name);
  step.check("spend_limit is the one sent", JSON.stringify(key.spend_limit) === JSON.stringify(spendLimit));
  step.check("status is active", key.status === "active");
  step.check("key_preview does not give the raw key away", key.key_preview !== key.key);
  step.notes.push(`request_shape, not sent, came back as ${JSON.stringify(key.request_shape)}`);
});

if (created === undefined) {
  for (const method of METHODS.slice(1)) {
    notRun(method, `create answered no spend_key_id, so there is no spend key to ${method}`);
  }
} else {
  const id = created.spend_key_id;

  await run("list", async (step) => {
    let cursor;
    let found;
    let pages = 0;
    while (found === undefined && pages < MAX_PAGES) {
      const page = await lava.spendKeys.list({ limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) });
      pages += 1;
      step.check("data is an array", Array.isArray(page?.data));
      step.check("has_more is a boolean", typeof page.has_more === "boolean");
      // The SDK's ListResponse says `next_cursor?: string`; Lava's docs say `string | null`.
      step.check(
        "next_cursor is a string, null or absent",
        page.next_cursor === undefined || page.next_cursor === null || isString(page.next_cursor),
      );
      if (page.next_cursor === null && !step.notes.some((note) => note.startsWith("next_cursor"))) {
        step.notes.push("next_cursor is null (Lava's docs: string | null; the SDK's type: string or absent)");
      }
      for (const item of page.data) step.shape(item, { created: false });
      found = page.data.find((item) => item.spend_key_id === id);
      if (!page.has_more || !page.next_cursor) break;
      cursor = page.next_cursor;
    }
    step.check("finds the spend key created", found !== undefined, `not in ${pages} page(s)`);
    step.check("its name is the one created", found.name === name);
    step.notes.push(`found on page ${pages}`);
  });

  await run("retrieve", async (step) => {
    const key = await lava.spendKeys.retrieve(id);
    step.shape(key, { created: false });
    step.check("spend_key_id is the one asked for", key.spend_key_id === id);
    step.check("name is the one created", key.name === name);
  });

  const newName = `${name}-renamed`;
  // The name the key has once update has answered (whatever update's own checks then find).
  let currentName = name;
  await run("update", async (step) => {
    const key = await lava.spendKeys.update(id, { name: newName, request_shape: "anthropic" });
    currentName = newName;
    step.shape(key, { created: false });
    step.check("spend_key_id is the same", key.spend_key_id === id);
    step.check("name is the new one", key.name === newName);
    // An answer without request_shape is a mismatch already (the SDK's type marks no field optional).
    step.check(
      "request_shape, where answered, is the new one (anthropic)",
      key.request_shape === undefined || key.request_shape === "anthropic",
      JSON.stringify(key.request_shape),
    );
    step.check("spend_limit, not sent, is kept", JSON.stringify(key.spend_limit) === JSON.stringify(spendLimit));
  });

  await run("rotate", async (step) => {
    const key = await lava.spendKeys.rotate(id);
    if (isString(key?.key)) secrets.add(key.key);
    step.shape(key, { created: true });
    step.check("spend_key_id is the same", key.spend_key_id === id);
    step.check("the new raw key differs from the one create revealed", key.key !== created.key);
    step.check("settings are kept (name)", key.name === currentName, JSON.stringify(key.name));
  });

  await run("revoke", async (step) => {
    const result = await lava.spendKeys.revoke(id);
    step.check(
      "answers {success: boolean} with success true",
      result !== null && typeof result === "object" && result.success === true,
      JSON.stringify(result),
    );
    let afterwards;
    try {
      await lava.spendKeys.retrieve(id);
      afterwards = "retrieve still answered the key";
    } catch (error) {
      afterwards = describe(error);
    }
    step.check(
      "retrieve then fails with 404",
      afterwards.startsWith("Lava API Error: 404"),
      afterwards,
    );
  });
}

for (const method of METHODS) {
  process.stdout.write(`${JSON.stringify(results.get(method))}\n`);
}
process.exit(METHODS.every((method) => results.get(method).outcome === "ok") ? 0 : 1);
