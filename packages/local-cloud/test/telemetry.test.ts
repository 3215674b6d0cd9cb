import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Cloudflare from "cloudflare";
import type { TelemetryQueryParams } from "cloudflare/resources/workers/observability/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvocationLog } from "../src/analytics/invocation-log.js";
import { answerTelemetryQuery } from "../src/analytics/telemetry-api.js";
import { ApiError } from "../src/api/envelope.js";
import { type LocalCloudServer, localApiToken, startLocalCloudServer } from "../src/index.js";
import { triggerScheduled } from "../src/process/lifecycle.js";

/**
 * Workers Observability's telemetry query, asked with the official Cloudflare SDK
 * (`workers.observability.telemetry.query`) of a control plane that served real requests in
 * workerd: per version, status code, outcome and wall time, as a canary analysis reads them.
 * Each test deploys a worker of its own.
 */

let dataDir: string;
let server: LocalCloudServer;
let client: Cloudflare;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "local-cloud-telemetry-"));
  server = await startLocalCloudServer({ dataDir, log: () => undefined, splitSeed: 7 });
  client = new Cloudflare({ apiToken: localApiToken, baseURL: server.apiBaseUrl, maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${server.apiBaseUrl}/accounts/${server.accountId}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${localApiToken}`, ...init.headers },
  });

/** Uploads `source` as a version of `script` (deployed at once when `deploy`); its id. */
async function upload(script: string, source: string, deploy: boolean): Promise<string> {
  const form = new FormData();
  form.set(
    "metadata",
    JSON.stringify({ main_module: "index.js", compatibility_date: "2026-07-30" }),
  );
  form.set("index.js", new Blob([source], { type: "application/javascript+module" }), "index.js");
  const response = await api(`/workers/scripts/${script}${deploy ? "" : "/versions"}`, {
    method: deploy ? "PUT" : "POST",
    body: form,
  });
  const { result } = (await response.json()) as { result: { deployment_id?: string; id?: string } };
  return (result.deployment_id ?? result.id) as string;
}

async function split(script: string, versions: [string, number][]): Promise<void> {
  const response = await api(`/workers/scripts/${script}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      versions: versions.map(([version_id, percentage]) => ({ version_id, percentage })),
    }),
  });
  expect(response.status).toBe(200);
}

async function send(script: string, count: number, path = "/"): Promise<number[]> {
  const url = new URL(path, server.workerUrl(script) as string);
  const statuses: number[] = [];
  for (let n = 0; n < count; n++) {
    const response = await fetch(url);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

function query(
  script: string,
  since: number,
  parameters: Partial<TelemetryQueryParams.Parameters>,
): Promise<Awaited<ReturnType<Cloudflare["workers"]["observability"]["telemetry"]["query"]>>> {
  return client.workers.observability.telemetry.query({
    account_id: server.accountId,
    queryId: "test",
    timeframe: { from: since, to: Date.now() },
    view: "calculations",
    chartType: "aggregate",
    dry: true,
    parameters: {
      datasets: ["cloudflare-workers"],
      filters: [{ key: "$metadata.service", operation: "eq", type: "string", value: script }],
      calculations: [{ operator: "count", alias: "requests" }],
      limit: 100,
      ...parameters,
    },
  });
}

const groupsOf = (aggregate: { groups?: { key: string; value: unknown }[] }) =>
  Object.fromEntries((aggregate.groups ?? []).map((group) => [group.key, group.value]));

describe("the telemetry query of the local control plane", () => {
  it("counts each version's requests by status code and outcome", async () => {
    const since = Date.now() - 1;
    const old = await upload(
      "tq-status",
      "export default { fetch() { return new Response('ok'); } };",
      true,
    );
    const next = await upload(
      "tq-status",
      `let n = 0; export default { fetch(request) {
        n++;
        if (new URL(request.url).pathname === "/throw") throw new Error("boom");
        return new Response("x", { status: n % 2 ? 500 : 401 });
      } };`,
      false,
    );
    await split("tq-status", [
      [next, 50],
      [old, 50],
    ]);
    const statuses = await send("tq-status", 40);
    const answer = await query("tq-status", since, {
      groupBys: [
        { type: "string", value: "$workers.scriptVersion.id" },
        { type: "number", value: "$metadata.statusCode" },
        { type: "string", value: "$workers.outcome" },
      ],
    });
    const rows = (answer.calculations?.[0]?.aggregates ?? []).map((aggregate) => ({
      ...groupsOf(aggregate),
      count: aggregate.count,
      sampleInterval: aggregate.sampleInterval,
    }));
    const served = (status: number) => statuses.filter((s) => s === status).length;
    expect(rows).toEqual(
      expect.arrayContaining(
        [
          [old, 200, served(200)],
          [next, 500, served(500)],
          [next, 401, served(401)],
        ]
          .filter(([, , count]) => (count as number) > 0)
          .map(([version, status, count]) => ({
            "$workers.scriptVersion.id": version,
            "$metadata.statusCode": status,
            "$workers.outcome": "ok",
            count,
            sampleInterval: 1,
          })),
      ),
    );
    expect(rows.reduce((sum, row) => sum + (row.count as number), 0)).toBe(40);
    expect(answer.calculations?.[0]?.alias).toBe("requests");
    expect(answer.run.status).toBe("COMPLETED");

    // An exception is its own outcome (workerd answers 500 for it).
    const pinned = await fetch(new URL("/throw", server.workerUrl("tq-status") as string), {
      headers: { "Cloudflare-Workers-Version-Overrides": `tq-status="${next}"` },
    });
    await pinned.arrayBuffer();
    const exceptions = await query("tq-status", since, {
      filters: [
        { key: "$metadata.service", operation: "eq", type: "string", value: "tq-status" },
        { key: "$workers.outcome", operation: "eq", type: "string", value: "exception" },
      ],
      groupBys: [{ type: "string", value: "$workers.scriptVersion.id" }],
    });
    expect(exceptions.calculations?.[0]?.aggregates.map((a) => [groupsOf(a), a.count])).toEqual([
      [{ "$workers.scriptVersion.id": next }, 1],
    ]);
  });

  it("computes p95 wall time per version and filters by version with `in`", async () => {
    const since = Date.now() - 1;
    const fast = await upload(
      "tq-latency",
      "export default { fetch() { return new Response('f'); } };",
      true,
    );
    const slow = await upload(
      "tq-latency",
      "export default { async fetch() { await new Promise((r) => setTimeout(r, 60)); return new Response('s'); } };",
      false,
    );
    await split("tq-latency", [
      [slow, 50],
      [fast, 50],
    ]);
    await send("tq-latency", 20);
    const answer = await query("tq-latency", since, {
      filters: [
        { key: "$metadata.service", operation: "eq", type: "string", value: "tq-latency" },
        {
          key: "$workers.scriptVersion.id",
          operation: "in",
          type: "string",
          value: `${slow},${fast}`,
        },
        { key: "$workers.eventType", operation: "eq", type: "string", value: "fetch" },
      ],
      calculations: [
        { operator: "p95", key: "$workers.wallTimeMs", keyType: "number", alias: "p95" },
      ],
      groupBys: [{ type: "string", value: "$workers.scriptVersion.id" }],
    });
    const p95 = Object.fromEntries(
      (answer.calculations?.[0]?.aggregates ?? []).map((a) => [
        groupsOf(a)["$workers.scriptVersion.id"],
        a.value,
      ]),
    );
    expect(Object.keys(p95).sort()).toEqual([fast, slow].sort());
    // workerd's timers are real: the slow version's every request waited 60 ms.
    expect(p95[slow]).toBeGreaterThanOrEqual(60);
    expect(answer.calculations?.[0]?.calculation).toBe("p95($workers.wallTimeMs)");
  });

  it("records cron runs as scheduled events of the version that ran them", async () => {
    const since = Date.now() - 1;
    const version = await upload(
      "tq-cron",
      `export default {
        fetch() { return new Response("ok"); },
        scheduled(controller) { if (controller.cron === "0 3 * * *") throw new Error("nightly broke"); },
      };`,
      true,
    );
    const origin = new URL(server.apiBaseUrl).origin;
    await triggerScheduled(origin, "tq-cron", "*/5 * * * *");
    await expect(triggerScheduled(origin, "tq-cron", "0 3 * * *")).rejects.toThrow(
      /nightly broke|outcome exception/,
    );
    const answer = await query("tq-cron", since, {
      filters: [
        { key: "$metadata.service", operation: "eq", type: "string", value: "tq-cron" },
        { key: "$workers.eventType", operation: "eq", type: "string", value: "scheduled" },
      ],
      groupBys: [
        { type: "string", value: "$workers.scriptVersion.id" },
        { type: "string", value: "$workers.outcome" },
      ],
    });
    const rows = (answer.calculations?.[0]?.aggregates ?? []).map((a) => [groupsOf(a), a.count]);
    expect(rows).toEqual(
      expect.arrayContaining([
        [{ "$workers.scriptVersion.id": version, "$workers.outcome": "ok" }, 1],
        [{ "$workers.scriptVersion.id": version, "$workers.outcome": "exception" }, 1],
      ]),
    );
    expect(rows).toHaveLength(2);
  });

  it("combines filters with or, groups and numeric comparisons, and honours the dataset", async () => {
    const since = Date.now() - 1;
    await upload(
      "tq-filters",
      "export default { fetch(r) { return new Response('', { status: new URL(r.url).pathname === '/missing' ? 404 : 200 }); } };",
      true,
    );
    await send("tq-filters", 3);
    await send("tq-filters", 2, "/missing");
    const count = async (parameters: Partial<TelemetryQueryParams.Parameters>) =>
      (await query("tq-filters", since, parameters)).calculations?.[0]?.aggregates[0]?.count ?? 0;
    const service = {
      key: "$metadata.service",
      operation: "eq",
      type: "string",
      value: "tq-filters",
    } as const;
    expect(
      await count({
        filters: [
          service,
          { key: "$metadata.statusCode", operation: "gte", type: "number", value: 400 },
        ],
      }),
    ).toBe(2);
    expect(
      await count({
        filters: [
          service,
          {
            kind: "group",
            filterCombination: "or",
            filters: [
              { key: "$metadata.statusCode", operation: "lt", type: "number", value: 300 },
              { key: "$metadata.statusCode", operation: "eq", type: "number", value: 404 },
            ],
          },
        ],
      }),
    ).toBe(5);
    expect(
      await count({
        filters: [
          service,
          { key: "$metadata.statusCode", operation: "not_in", type: "string", value: "404,500" },
        ],
      }),
    ).toBe(3);
    expect(await count({ datasets: ["some-other-dataset"] })).toBe(0);
  });

  it("refuses what it does not serve with the API's error envelope", async () => {
    const response = await api("/workers/observability/telemetry/query", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        queryId: "q",
        timeframe: { from: 0, to: 1 },
        view: "events",
        parameters: {},
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { success: boolean; errors: { message: string }[] };
    expect(body.success).toBe(false);
    expect(body.errors[0]?.message).toMatch(/^invalid telemetry query: .*view: calculations/);
    await expect(
      client.workers.observability.telemetry.query({
        account_id: server.accountId,
        queryId: "q",
        timeframe: { from: 10, to: 5 },
        view: "calculations",
        parameters: { calculations: [{ operator: "count" }] },
      }),
    ).rejects.toThrow(/timeframe\.from must be earlier than timeframe\.to/);
  });
});

describe("the telemetry query's operators and aggregates", () => {
  // A log written by hand: every operator and aggregate, without starting workerd.
  const log = new InvocationLog();
  const at = Date.parse("2026-12-01T00:00:00Z");
  const wallTimesMs = [10, 20, 30, 40, 50];
  for (const [index, wallTimeMs] of wallTimesMs.entries()) {
    log.record({
      scriptName: "w",
      scriptVersion: index < 3 ? "a" : "b",
      datetime: at + index,
      wallTimeUs: wallTimeMs * 1000,
      status: index === 4 ? "internalError" : index === 3 ? "clientDisconnected" : "success",
      ...(index < 3 ? { statusCode: 200 + index * 100 } : {}),
    });
  }
  log.record({
    scriptName: "w",
    scriptVersion: "a",
    eventType: "scheduled",
    datetime: at + 10,
    wallTimeUs: 1000,
    status: "scriptThrewException",
  });
  const ask = (parameters: Record<string, unknown>) =>
    answerTelemetryQuery(
      {
        queryId: "q",
        timeframe: { from: at, to: at + 100 },
        view: "calculations",
        parameters: { calculations: [{ operator: "count" }], ...parameters },
      },
      "acct",
      log,
    );
  const count = (filters: unknown[], filterCombination = "and") =>
    ask({ filters, filterCombination }).calculations[0]?.aggregates[0]?.count ?? 0;
  const leaf = (key: string, operation: string, value?: string | number, type = "number") => ({
    key,
    operation,
    type,
    ...(value === undefined ? {} : { value }),
  });

  it("compares with every operator, in both spellings", () => {
    const status = "$metadata.statusCode";
    expect(count([leaf(status, "exists")])).toBe(3);
    expect(count([leaf(status, "EXISTS")])).toBe(3);
    expect(count([leaf(status, "is_null")])).toBe(3);
    expect(count([leaf(status, "DOES_NOT_EXIST")])).toBe(3);
    expect(count([leaf(status, "=", 300)])).toBe(1);
    expect(count([leaf(status, "neq", 300)])).toBe(5);
    expect(count([leaf(status, "!=", 300)])).toBe(5);
    expect(count([leaf(status, "gt", 200)])).toBe(2);
    expect(count([leaf(status, ">", 200)])).toBe(2);
    expect(count([leaf(status, ">=", 300)])).toBe(2);
    expect(count([leaf(status, "lte", 300)])).toBe(2);
    expect(count([leaf(status, "<=", 300)])).toBe(2);
    expect(count([leaf(status, "<", 300)])).toBe(1);
    expect(count([leaf(status, "IN", "200,400")])).toBe(2);
    expect(count([leaf(status, "NOT_IN", "200,400")])).toBe(4);
    expect(count([leaf("$workers.outcome", "eq", "canceled", "string")])).toBe(1);
    expect(count([leaf("$workers.outcome", "eq", "unknown", "string")])).toBe(1);
    expect(count([leaf("$workers.eventType", "eq", "scheduled", "string")])).toBe(1);
    expect(
      count(
        [leaf("$workers.scriptVersion.id", "eq", "b", "string"), leaf(status, "eq", 200)],
        "or",
      ),
    ).toBe(3);
    expect(count([], "OR")).toBe(6);
  });

  it("aggregates a numeric key with each operator, largest value first", () => {
    const values = Object.fromEntries(
      ["sum", "avg", "min", "max", "median", "p50", "p75", "p90", "p99", "p999", "P95"].map(
        (operator) => [
          operator,
          ask({
            filters: [leaf("$workers.eventType", "eq", "fetch", "string")],
            calculations: [{ operator, key: "$workers.wallTimeMs", keyType: "number" }],
          }).calculations[0]?.aggregates[0]?.value,
        ],
      ),
    );
    expect(values).toEqual({
      sum: 150,
      avg: 30,
      min: 10,
      max: 50,
      median: 30,
      p50: 30,
      p75: 40,
      p90: 50,
      p99: 50,
      p999: 50,
      P95: 50,
    });
    const byVersion = ask({
      calculations: [{ operator: "max", key: "$workers.wallTimeMs" }],
      groupBys: [{ type: "string", value: "$workers.scriptVersion.id" }],
      limit: 1,
    }).calculations[0]?.aggregates;
    expect(byVersion).toEqual([
      expect.objectContaining({
        value: 50,
        count: 2,
        groups: [{ key: "$workers.scriptVersion.id", value: "b" }],
      }),
    ]);
    // A key no event has aggregates to 0, and its group value is left out.
    expect(
      ask({
        calculations: [{ operator: "avg", key: "$metadata.missing" }],
        groupBys: [{ type: "string", value: "$metadata.missing" }],
      }).calculations[0]?.aggregates,
    ).toEqual([expect.objectContaining({ value: 0, count: 6, groups: [] })]);
  });

  it("refuses a body that is not a query", () => {
    expect(() => answerTelemetryQuery({ queryId: "q" }, "acct", log)).toThrow(ApiError);
  });
});
