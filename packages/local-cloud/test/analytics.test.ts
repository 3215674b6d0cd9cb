import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvocationLog } from "../src/analytics/invocation-log.js";
import { type IsolatedLocalCloud, startIsolatedLocalCloud } from "../src/index.js";
import { runWrangler } from "./run-wrangler.js";

/**
 * The GraphQL Analytics API (`POST /client/v4/graphql`, dataset `workersInvocationsAdaptive`),
 * queried with plain fetch as Cloudflare's is, over traffic sent to workers deployed by real
 * wrangler. Each test deploys workers named for itself and filters on their names, so tests
 * share the control plane but not the invocations they count.
 */

let cloud: IsolatedLocalCloud;
let fixtures: string;

beforeAll(async () => {
  cloud = await startIsolatedLocalCloud();
  fixtures = await mkdtemp(join(tmpdir(), "local-cloud-analytics-"));
});

afterAll(async () => {
  await cloud?.dispose();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

// `/ok` answers 200 (after `?slow=<ms>`), `/fail` returns a 500 itself, `/throw` throws.
const probeSource = (revision: string) => `// revision ${revision}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const slow = Number(url.searchParams.get("slow") ?? 0);
    if (slow > 0) await new Promise((resolve) => setTimeout(resolve, slow));
    if (url.pathname === "/throw") throw new Error("analytics probe threw");
    if (url.pathname === "/fail") return new Response("failed on purpose", { status: 500 });
    return Response.json({ version: env.VERSION.id });
  },
};`;

/** Deploys a new version of `name` with real wrangler and returns its id. */
async function deployVersion(name: string, revision: string): Promise<string> {
  await writeFile(
    join(fixtures, `${name}.jsonc`),
    JSON.stringify({
      name,
      main: `${name}.js`,
      compatibility_date: "2025-06-01",
      version_metadata: { binding: "VERSION" },
    }),
  );
  await writeFile(join(fixtures, `${name}.js`), probeSource(revision));
  const run = await runWrangler(cloud, fixtures, ["deploy", "-c", `${name}.jsonc`]);
  expect(run.exitCode, run.output).toBe(0);
  const worker = (await cloud.workers()).find((w) => w.name === name);
  expect(worker?.activeVersionId).toBeDefined();
  return worker?.activeVersionId as string;
}

/** Sends one request to the worker, to `version` when given (the platform's override header). */
async function send(name: string, path: string, version?: string): Promise<number> {
  const url = await cloud.workerUrl(name);
  const response = await fetch(`${url}${path}`, {
    headers: version ? { "cloudflare-workers-version-overrides": `${name}="${version}"` } : {},
  });
  await response.arrayBuffer();
  return response.status;
}

interface GraphqlAnswer {
  data: { viewer: { accounts: { workersInvocationsAdaptive: Row[] }[] } | null } | null;
  errors: { message: string }[] | null;
}

interface Row {
  dimensions?: Record<string, string>;
  sum?: { requests: number; errors: number };
  quantiles?: Record<string, number>;
}

async function graphql(body: unknown, token = "any-token"): Promise<GraphqlAnswer> {
  const response = await fetch(`${cloud.apiBaseUrl}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  // Cloudflare answers GraphQL errors with 200 and `errors`, not with an HTTP error.
  expect(response.status).toBe(200);
  return (await response.json()) as GraphqlAnswer;
}

/** The rows of `workersInvocationsAdaptive(limit, filter) { fields }` for this account. */
async function rows(filter: string, fields: string, limit = 100): Promise<Row[]> {
  const answer = await graphql({
    query: `{ viewer { accounts(filter: { accountTag: "${cloud.accountId}" }) {
      workersInvocationsAdaptive(limit: ${limit}, filter: ${filter}) { ${fields} } } } }`,
  });
  expect(answer.errors).toBeNull();
  return answer.data?.viewer?.accounts[0]?.workersInvocationsAdaptive ?? [];
}

const byKey = (row: Row) => JSON.stringify(row.dimensions);
const sorted = (list: Row[]) => [...list].sort((a, b) => byKey(a).localeCompare(byKey(b)));

/** Two versions of `name` split 50/50, each sent a known mix of answers via overrides. */
async function splitWithTraffic(name: string) {
  const first = await deployVersion(name, "1");
  const second = await deployVersion(name, "2");
  const split = await runWrangler(cloud, fixtures, [
    "versions",
    "deploy",
    `${first}@50%`,
    `${second}@50%`,
    "-y",
    "-c",
    `${name}.jsonc`,
  ]);
  expect(split.exitCode, split.output).toBe(0);
  const since = new Date();
  const statuses: number[] = [];
  for (const [path, version, times] of [
    ["/ok", first, 3],
    ["/fail", first, 2],
    ["/throw", first, 1],
    ["/ok", second, 2],
    ["/throw", second, 2],
  ] as const) {
    for (let n = 0; n < times; n++) statuses.push(await send(name, path, version));
  }
  const until = new Date();
  return { first, second, since, until, statuses };
}

describe("GraphQL Analytics API: workersInvocationsAdaptive", () => {
  it("sums requests and errors per version and status: a thrown exception is an error, a returned 500 is not", async () => {
    const name = "lc-analytics-sums";
    const { first, second, statuses } = await splitWithTraffic(name);
    // Both a returned 500 and a thrown exception reach the client as a 500.
    expect(statuses).toEqual([200, 200, 200, 500, 500, 500, 200, 200, 500, 500]);

    const grouped = await rows(
      `{ scriptName: "${name}" }`,
      "dimensions { scriptName scriptVersion status } sum { requests errors }",
    );
    const row = (scriptVersion: string, status: string, requests: number, errors: number) => ({
      dimensions: { scriptName: name, scriptVersion, status },
      sum: { requests, errors },
    });
    expect(sorted(grouped)).toEqual(
      sorted([
        row(first, "success", 5, 0),
        row(first, "scriptThrewException", 1, 1),
        row(second, "success", 2, 0),
        row(second, "scriptThrewException", 2, 2),
      ]),
    );

    // The reader's own query: per version only, with variables and an operation name.
    const perVersion = await graphql({
      query: `query VersionMetrics($accountTag: string!, $scriptName: string!, $versions: [string!]!) {
        viewer { accounts(filter: { accountTag: $accountTag }) {
          workersInvocationsAdaptive(limit: 100, filter: { scriptName: $scriptName, scriptVersion_in: $versions }) {
            dimensions { scriptVersion } sum { requests errors }
          } } } }`,
      variables: { accountTag: cloud.accountId, scriptName: name, versions: [first, second] },
      operationName: "VersionMetrics",
    });
    expect(perVersion.errors).toBeNull();
    expect(sorted(perVersion.data?.viewer?.accounts[0]?.workersInvocationsAdaptive ?? [])).toEqual(
      sorted([
        { dimensions: { scriptVersion: first }, sum: { requests: 6, errors: 1 } },
        { dimensions: { scriptVersion: second }, sum: { requests: 4, errors: 2 } },
      ]),
    );

    // No dimensions: one row over everything the filter lets through.
    expect(await rows(`{ scriptName: "${name}" }`, "sum { requests errors }")).toEqual([
      { sum: { requests: 10, errors: 3 } },
    ]);
  });

  it("filters by name, version, status and time, and keeps at most `limit` rows", async () => {
    const name = "lc-analytics-filters";
    const { first, second, since, until } = await splitWithTraffic(name);
    const total = async (filter: string) =>
      (await rows(filter, "sum { requests }"))[0]?.sum?.requests ?? 0;

    expect(await total(`{ scriptName_in: ["${name}", "lc-analytics-nobody"] }`)).toBe(10);
    expect(await total(`{ scriptName: "lc-analytics-nobody" }`)).toBe(0);
    expect(await total(`{ scriptName: "${name}", scriptVersion: "${second}" }`)).toBe(4);
    expect(await total(`{ scriptName: "${name}", scriptVersion_in: ["${first}"] }`)).toBe(6);
    expect(await total(`{ scriptName: "${name}", status: "scriptThrewException" }`)).toBe(3);
    expect(await total(`{ scriptName: "${name}", status: "success" }`)).toBe(7);

    const window = `datetime_geq: "${since.toISOString()}", datetime_leq: "${until.toISOString()}"`;
    expect(await total(`{ scriptName: "${name}", ${window} }`)).toBe(10);
    expect(await total(`{ scriptName: "${name}", datetime_lt: "${since.toISOString()}" }`)).toBe(0);
    expect(await total(`{ scriptName: "${name}", datetime_gt: "${until.toISOString()}" }`)).toBe(0);

    // Each invocation lands in the minute it started, written as Cloudflare's Time (no millis).
    const minutes = await rows(
      `{ scriptName: "${name}" }`,
      "dimensions { datetimeMinute } sum { requests }",
    );
    expect(minutes.reduce((sum, row) => sum + (row.sum?.requests ?? 0), 0)).toBe(10);
    for (const row of minutes) {
      const minute = row.dimensions?.datetimeMinute as string;
      expect(minute).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
      expect(Date.parse(minute)).toBeGreaterThan(since.getTime() - 60_000);
      expect(Date.parse(minute)).toBeLessThanOrEqual(until.getTime());
    }

    const limited = await rows(`{ scriptName: "${name}" }`, "dimensions { scriptVersion }", 1);
    expect(limited).toHaveLength(1);
    expect([first, second]).toContain(limited[0]?.dimensions?.scriptVersion);
  });

  it("answers wall-time quantiles in microseconds (nearest rank)", async () => {
    const name = "lc-analytics-quantiles";
    await deployVersion(name, "1");
    // Nine quick requests and one that waits 3 s: p50..p90 are quick ones, p95 and p99 the slow.
    for (let n = 0; n < 9; n++) expect(await send(name, "/ok")).toBe(200);
    expect(await send(name, "/ok?slow=3000")).toBe(200);
    const [row] = await rows(
      `{ scriptName: "${name}" }`,
      "sum { requests } quantiles { wallTimeP50 wallTimeP75 wallTimeP90 wallTimeP95 wallTimeP99 }",
    );
    expect(row?.sum?.requests).toBe(10);
    const q = row?.quantiles as Record<string, number>;
    expect(q.wallTimeP95).toBeGreaterThanOrEqual(3_000_000);
    expect(q.wallTimeP99).toBe(q.wallTimeP95);
    expect(q.wallTimeP50).toBeGreaterThan(0);
    expect(q.wallTimeP50).toBeLessThanOrEqual(q.wallTimeP75 as number);
    expect(q.wallTimeP75).toBeLessThanOrEqual(q.wallTimeP90 as number);
    expect(q.wallTimeP90).toBeLessThan(q.wallTimeP95 as number);
  });

  it("refuses fields outside Cloudflare's schema, and bad queries, with GraphQL errors", async () => {
    const dataset = (args: string, fields: string) =>
      `{ viewer { accounts(filter: { accountTag: "${cloud.accountId}" }) { workersInvocationsAdaptive(${args}) { ${fields} } } } }`;
    const failure = async (body: unknown) => {
      const answer = await graphql(body);
      expect(answer.data).toBeNull();
      return answer.errors?.map((error) => error.message);
    };

    expect(await failure({ query: dataset("limit: 1", "quantiles { cpuTimeP50 }") })).toEqual([
      expect.stringMatching(
        /^Cannot query field "cpuTimeP50" on type "AccountWorkersInvocationsAdaptiveQuantiles"\./,
      ),
    ]);
    expect(await failure({ query: dataset("limit: 1", "dimensions { coloCode }") })).toEqual([
      expect.stringMatching(
        /^Cannot query field "coloCode" on type "AccountWorkersInvocationsAdaptiveDimensions"\./,
      ),
    ]);
    expect(
      await failure({
        query: dataset('limit: 1, filter: { clientIP: "1.1.1.1" }', "sum { requests }"),
      }),
    ).toEqual([
      expect.stringContaining(
        'Field "clientIP" is not defined by type "AccountWorkersInvocationsAdaptiveFilter_InputObject".',
      ),
    ]);
    expect(await failure({ query: dataset("filter: {}", "sum { requests }") })).toEqual([
      expect.stringContaining('argument "limit" of type "uint64!" is required'),
    ]);
    expect(
      await failure({ query: "{ viewer { accounts(filter: {}) { workersInvocationsAdaptive" }),
    ).toEqual([expect.stringMatching(/^Syntax Error: /)]);
    expect(await failure({ variables: {} })).toEqual([
      expect.stringMatching(/^expected \{query, variables\?\}: /),
    ]);
    expect(await failure("{ not json")).toEqual([
      expect.stringMatching(/^expected \{query, variables\?\}: /),
    ]);
  });

  it("refuses a foreign account, a bad filter value, a negative limit and fragments", async () => {
    // `$since` is declared only where used: GraphQL refuses a variable that is never used.
    const accounts = (tag: string, inner: string) => ({
      query: `query Q${inner.includes("$since") ? "($since: string)" : ""} { viewer { accounts(filter: { accountTag: "${tag}" }) { ${inner} } } }`,
      variables: { since: "yesterday" },
    });
    const messages = async (body: unknown) =>
      (await graphql(body)).errors?.map((error) => error.message);

    const foreign = "0123456789abcdef0123456789abcdef";
    const answer = await graphql(
      accounts(foreign, "workersInvocationsAdaptive(limit: 1) { sum { requests } }"),
    );
    expect(answer.data).toEqual({ viewer: null });
    expect(answer.errors?.map((error) => error.message)).toEqual([
      `local control plane: unknown account ${foreign}; the account is ${cloud.accountId}`,
    ]);
    expect(
      await messages(
        accounts(
          cloud.accountId,
          "workersInvocationsAdaptive(limit: 1, filter: { datetime_geq: $since }) { sum { requests } }",
        ),
      ),
    ).toEqual([expect.stringMatching(/^invalid filter: .*datetime_geq/s)]);
    expect(
      await messages(
        accounts(cloud.accountId, "workersInvocationsAdaptive(limit: -1) { sum { requests } }"),
      ),
    ).toEqual(["limit must be a non-negative integer"]);
    expect(
      await messages(
        accounts(
          cloud.accountId,
          "workersInvocationsAdaptive(limit: 1) { dimensions { ... on AccountWorkersInvocationsAdaptiveDimensions { scriptName } } }",
        ),
      ),
    ).toEqual(["the local control plane does not support fragments here"]);
  });

  it("needs a bearer token, as every API call does", async () => {
    const response = await fetch(`${cloud.apiBaseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { accounts(filter: {}) { __typename } } }" }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      success: false,
      errors: [{ message: expect.stringContaining("Authentication error") }],
    });
  });
});

describe("invocation log", () => {
  it("keeps the most recent invocations once it holds more than its limit", () => {
    const log = new InvocationLog(10);
    const at = (n: number) => ({
      scriptName: "w",
      scriptVersion: "v",
      datetime: n,
      wallTimeUs: 1,
      status: "success" as const,
    });
    for (let n = 0; n < 11; n++) log.record(at(n));
    // Within the 10% slack nothing is dropped yet; past it, the log is cut back to its limit.
    expect(log.select(() => true).map((i) => i.datetime)).toEqual(
      Array.from({ length: 11 }, (_, n) => n),
    );
    log.record(at(11));
    expect(log.select(() => true).map((i) => i.datetime)).toEqual(
      Array.from({ length: 10 }, (_, n) => n + 2),
    );
  });
});
