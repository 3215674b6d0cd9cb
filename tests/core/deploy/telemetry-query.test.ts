import { describe, expect, it } from "vitest";
import { type HttpClient, type HttpRequest, TELEMETRY_KEYS, telemetryReader } from "#core";

// The telemetry query as sent to Cloudflare and read back, with a recorded HTTP client: the
// request body's names (the SDK's TelemetryQueryParams), sampled answers and refusals. The
// same reader against the local control plane's real answers is in local-cloud-rollout.test.ts.

const api = { baseUrl: "https://api.test/client/v4", accountId: "acct", token: "secret-token" };

function answering(...bodies: { status: number; body: unknown }[]) {
  const sent: HttpRequest[] = [];
  const http: HttpClient = {
    async request(request) {
      sent.push(request);
      const next = bodies[Math.min(sent.length - 1, bodies.length - 1)] as (typeof bodies)[0];
      return {
        status: next.status,
        headers: {},
        body: typeof next.body === "string" ? next.body : JSON.stringify(next.body),
      };
    },
  };
  return { http, sent };
}

const group = (key: string, value: string | number) => ({ key, value });
const ok = (aggregates: unknown[]) => ({
  success: true,
  errors: [],
  result: { calculations: [{ calculation: "count", aggregates, series: [] }] },
});

describe("the telemetry query", () => {
  it("asks for counts by version, status and outcome and p95 by version, then folds them", async () => {
    const counts = ok([
      // One in ten events kept: counts are already scaled up by the sample interval.
      {
        count: 900,
        value: 900,
        sampleInterval: 10,
        groups: [
          group(TELEMETRY_KEYS.version, "new"),
          group(TELEMETRY_KEYS.statusCode, 200),
          group(TELEMETRY_KEYS.outcome, "ok"),
        ],
      },
      {
        count: 50,
        value: 50,
        sampleInterval: 10,
        groups: [
          group(TELEMETRY_KEYS.version, "new"),
          group(TELEMETRY_KEYS.statusCode, 503),
          group(TELEMETRY_KEYS.outcome, "ok"),
        ],
      },
      {
        count: 30,
        value: 30,
        sampleInterval: 10,
        groups: [
          group(TELEMETRY_KEYS.version, "new"),
          group(TELEMETRY_KEYS.statusCode, 500),
          group(TELEMETRY_KEYS.outcome, "exception"),
        ],
      },
      {
        count: 20,
        value: 20,
        sampleInterval: 10,
        groups: [
          group(TELEMETRY_KEYS.version, "new"),
          group(TELEMETRY_KEYS.statusCode, 401),
          group(TELEMETRY_KEYS.outcome, "ok"),
        ],
      },
      {
        count: 5,
        value: 5,
        sampleInterval: 1,
        groups: [group(TELEMETRY_KEYS.version, "old"), group(TELEMETRY_KEYS.outcome, "canceled")],
      },
    ]);
    const latency = ok([
      {
        count: 1000,
        value: 42.5,
        sampleInterval: 10,
        groups: [group(TELEMETRY_KEYS.version, "new")],
      },
    ]);
    const { http, sent } = answering({ status: 200, body: counts }, { status: 200, body: latency });
    const reader = telemetryReader(http, api, { local: false });
    const since = new Date("2026-12-01T00:00:00Z");
    const until = new Date("2026-12-01T00:01:00Z");
    const [next, old, none] = await reader.traffic("gateway", ["new", "old", "none"], since, until);
    expect(next).toEqual({
      versionId: "new",
      requests: 1000,
      serverErrors: 80,
      clientErrors: 20,
      exceptions: 30,
      p95Ms: 42.5,
      sampleInterval: 10,
    });
    // A client that went away is neither a failure nor an answer: counted, nothing else.
    expect(old).toMatchObject({ requests: 5, serverErrors: 0, clientErrors: 0, p95Ms: undefined });
    expect(none).toMatchObject({ requests: 0, sampleInterval: 1 });

    expect(sent.map((request) => [request.method, request.url])).toEqual([
      ["POST", "https://api.test/client/v4/accounts/acct/workers/observability/telemetry/query"],
      ["POST", "https://api.test/client/v4/accounts/acct/workers/observability/telemetry/query"],
    ]);
    expect(sent[0]?.headers.authorization).toBe("Bearer secret-token");
    const body = JSON.parse(sent[0]?.body ?? "{}");
    expect(body).toMatchObject({
      timeframe: { from: since.getTime(), to: until.getTime() },
      view: "calculations",
      chartType: "aggregate",
      dry: true,
      parameters: {
        datasets: ["cloudflare-workers"],
        filters: [
          { key: "$metadata.service", operation: "eq", type: "string", value: "gateway" },
          { key: "$workers.eventType", operation: "eq", type: "string", value: "fetch" },
          {
            key: "$workers.scriptVersion.id",
            operation: "in",
            type: "string",
            value: "new,old,none",
          },
        ],
        calculations: [{ operator: "count", alias: "requests" }],
        groupBys: [
          { type: "string", value: "$workers.scriptVersion.id" },
          { type: "number", value: "$metadata.statusCode" },
          { type: "string", value: "$workers.outcome" },
        ],
      },
    });
    expect(JSON.parse(sent[1]?.body ?? "{}").parameters.calculations).toEqual([
      { operator: "p95", key: "$workers.wallTimeMs", keyType: "number", alias: "p95" },
    ]);
    // Cloudflare runs crons on its own clock: the reader cannot fire them there.
    expect(reader.fireScheduled).toBeUndefined();
  });

  it("refuses answers that are not the API's in one line", async () => {
    const read = (status: number, body: unknown) =>
      telemetryReader(answering({ status, body }).http, api, { local: false }).traffic(
        "gateway",
        ["v"],
        new Date(0),
        new Date(1),
      );
    await expect(
      read(403, { success: false, errors: [{ code: 10000, message: "Authentication error" }] }),
    ).rejects.toThrow("telemetry query answered HTTP 403: Authentication error");
    await expect(read(502, "<html>")).rejects.toThrow(
      "telemetry query answered HTTP 502 without JSON",
    );
    await expect(read(200, { success: true, result: { calculations: "x" } })).rejects.toThrow(
      /^telemetry query: unexpected answer/,
    );
  });

  it("counts scheduled runs by outcome and lists the crons", async () => {
    const { http, sent } = answering(
      {
        status: 200,
        body: ok([
          { count: 2, value: 2, groups: [group(TELEMETRY_KEYS.outcome, "ok")] },
          { count: 1, value: 1, groups: [group(TELEMETRY_KEYS.outcome, "exception")] },
        ]),
      },
      {
        status: 200,
        body: { success: true, errors: [], result: { schedules: [{ cron: "*/5 * * * *" }] } },
      },
    );
    const reader = telemetryReader(http, api, { local: true });
    expect(await reader.scheduledRuns("schedule", "v", new Date(0), new Date(1))).toEqual({
      ok: 2,
      failed: 1,
    });
    expect(JSON.parse(sent[0]?.body ?? "{}").parameters.filters[1]).toEqual({
      key: "$workers.eventType",
      operation: "eq",
      type: "string",
      value: "scheduled",
    });
    expect(await reader.schedules("schedule")).toEqual(["*/5 * * * *"]);
    expect(sent[1]?.url).toBe(
      "https://api.test/client/v4/accounts/acct/workers/scripts/schedule/schedules",
    );
  });
});
