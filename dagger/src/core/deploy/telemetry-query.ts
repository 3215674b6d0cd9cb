import * as z from "zod";
import { type CloudflareApi, describeRefusal, workerScriptRequest } from "./cloudflare-api.js";
import type { HttpClient } from "./ports.js";

/**
 * What users received from each version of a Worker, read from Workers Observability's
 * telemetry query (`POST /accounts/{account_id}/workers/observability/telemetry/query`, the
 * `cloudflare` SDK's `workers.observability.telemetry.query`). The same request runs against
 * the local control plane, which answers it from the traffic it served.
 *
 * Names are the SDK's (cloudflare@7.3.0, resources/workers/observability/telemetry.d.ts):
 * the body's `queryId`, `timeframe {from, to}` (ms), `view: "calculations"`, `chartType:
 * "aggregate"`, `dry`, and `parameters {datasets, filters, filterCombination, calculations,
 * groupBys, limit}`; each answer's `calculations[].aggregates[]` with `groups [{key, value}]`,
 * `count`, `value` and `sampleInterval` (1 / the rate events were kept at: the Worker's
 * `head_sampling_rate` times any platform sampling; counts are already scaled by it). The keys
 * are the invocation event's fields there: `$metadata.service` (the script), `$metadata.
 * statusCode` (the HTTP status the Worker returned), `$workers.scriptVersion.id`,
 * `$workers.outcome` ("ok", "exception", "exceededCpu", "canceled"...), `$workers.eventType`
 * ("fetch", "scheduled"...) and `$workers.wallTimeMs`; the dataset is `cloudflare-workers`.
 * A Worker writes these events only with `observability.enabled` in its wrangler config.
 */
export const TELEMETRY_DATASET = "cloudflare-workers";

export const TELEMETRY_KEYS = {
  service: "$metadata.service",
  statusCode: "$metadata.statusCode",
  version: "$workers.scriptVersion.id",
  outcome: "$workers.outcome",
  eventType: "$workers.eventType",
  wallTimeMs: "$workers.wallTimeMs",
} as const;

/** Outcomes that are not the Worker failing: it finished, or the client went away first. */
const HEALTHY_OUTCOMES = new Set(["ok", "canceled", "responseStreamDisconnected"]);

/** One version's requests in a window, as users received them (estimated when sampled). */
export interface VersionTraffic {
  versionId: string;
  requests: number;
  /** Answered 5xx, or failed without an answer of its own (an exception): what users saw fail. */
  serverErrors: number;
  /** Answered 4xx: judged against the old version's share, since some 4xx are normal. */
  clientErrors: number;
  /** Invocations whose outcome was an exception or a limit exceeded (also in serverErrors). */
  exceptions: number;
  /** p95 wall time in milliseconds; undefined without requests. */
  p95Ms: number | undefined;
  /**
   * The average sample interval of its events: 1 when every request was kept, 10 when one in
   * ten was. Counts above are scaled up by it; the statistics divide it back out, since their
   * evidence is the events actually seen.
   */
  sampleInterval: number;
}

export function emptyTraffic(versionId: string): VersionTraffic {
  return {
    versionId,
    requests: 0,
    serverErrors: 0,
    clientErrors: 0,
    exceptions: 0,
    p95Ms: undefined,
    sampleInterval: 1,
  };
}

export interface ScheduledRuns {
  ok: number;
  failed: number;
}

/** The rollout's view of a Worker on Cloudflare (or the local control plane). */
export interface RolloutTelemetry {
  /** Fetch invocations of each of `versionIds` between `since` and `until`, in that order. */
  traffic(
    worker: string,
    versionIds: string[],
    since: Date,
    until: Date,
  ): Promise<VersionTraffic[]>;
  /** Scheduled (cron) invocations of one version between `since` and `until`. */
  scheduledRuns(
    worker: string,
    versionId: string,
    since: Date,
    until: Date,
  ): Promise<ScheduledRuns>;
  /** The Worker's cron triggers (`GET .../scripts/{name}/schedules`). */
  schedules(worker: string): Promise<string[]>;
  /**
   * Runs the Worker's scheduled handler for `cron` now. Only the local control plane can:
   * on Cloudflare the rollout waits for the trigger's own time.
   */
  fireScheduled?(worker: string, cron: string): Promise<void>;
}

type Filter = { key: string; operation: "eq" | "in"; type: "string"; value: string };

/** The body of one telemetry query (the SDK's TelemetryQueryParams without account_id). */
export function telemetryQueryBody(request: {
  worker: string;
  eventType: "fetch" | "scheduled";
  versionIds: string[];
  since: Date;
  until: Date;
  calculation: "count" | "p95";
  groupBy: string[];
}) {
  const filters: Filter[] = [
    { key: TELEMETRY_KEYS.service, operation: "eq", type: "string", value: request.worker },
    { key: TELEMETRY_KEYS.eventType, operation: "eq", type: "string", value: request.eventType },
    {
      key: TELEMETRY_KEYS.version,
      operation: "in",
      type: "string",
      value: request.versionIds.join(","),
    },
  ];
  return {
    queryId: `workers-pipeline-canary-${request.calculation}`,
    timeframe: { from: request.since.getTime(), to: request.until.getTime() },
    view: "calculations",
    chartType: "aggregate",
    // Ad hoc: nothing is saved to the account's query history.
    dry: true,
    parameters: {
      datasets: [TELEMETRY_DATASET],
      filterCombination: "and",
      filters,
      calculations:
        request.calculation === "count"
          ? [{ operator: "count", alias: "requests" }]
          : [
              {
                operator: "p95",
                key: TELEMETRY_KEYS.wallTimeMs,
                keyType: "number",
                alias: "p95",
              },
            ],
      groupBys: request.groupBy.map((value) => ({
        type: value === TELEMETRY_KEYS.statusCode ? "number" : "string",
        value,
      })),
      limit: 1000,
    },
  };
}

const aggregateSchema = z.object({
  count: z.number(),
  value: z.number(),
  sampleInterval: z.number().positive().default(1),
  groups: z
    .array(z.object({ key: z.string(), value: z.union([z.string(), z.number(), z.boolean()]) }))
    .default([]),
});

const answerSchema = z.object({
  calculations: z.array(z.object({ aggregates: z.array(aggregateSchema) })).default([]),
});

type Aggregate = z.infer<typeof aggregateSchema>;

const groupValue = (aggregate: Aggregate, key: string) =>
  aggregate.groups.find((group) => group.key === key)?.value;

async function runQuery(
  http: HttpClient,
  api: CloudflareApi,
  body: ReturnType<typeof telemetryQueryBody>,
): Promise<Aggregate[]> {
  const url = `${api.baseUrl.replace(/\/+$/, "")}/accounts/${encodeURIComponent(api.accountId)}/workers/observability/telemetry/query`;
  const response = await http.request({
    method: "POST",
    url,
    headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    timeoutMs: 15_000,
  });
  let envelope: unknown;
  try {
    envelope = JSON.parse(response.body);
  } catch {
    throw new Error(`telemetry query answered HTTP ${response.status} without JSON`);
  }
  const parsed = z
    .object({
      success: z.boolean(),
      errors: z.array(z.object({ message: z.string() })).default([]),
      result: answerSchema.nullish(),
    })
    .safeParse(envelope);
  if (!parsed.success) {
    throw new Error(`telemetry query: unexpected answer: ${z.prettifyError(parsed.error)}`);
  }
  if (!parsed.data.success || response.status >= 300 || !parsed.data.result) {
    throw new Error(
      `telemetry query answered HTTP ${response.status}: ${parsed.data.errors[0]?.message ?? "no result"}`,
    );
  }
  return parsed.data.result.calculations[0]?.aggregates ?? [];
}

/**
 * Folds the two answers (counts by version, status and outcome; p95 by version) into one row
 * per requested version, zero for a version that served nothing.
 */
export function foldTraffic(
  versionIds: string[],
  counts: Aggregate[],
  latencies: Aggregate[],
): VersionTraffic[] {
  return versionIds.map((versionId) => {
    const traffic = emptyTraffic(versionId);
    let stored = 0;
    for (const row of counts) {
      if (groupValue(row, TELEMETRY_KEYS.version) !== versionId) continue;
      const status = Number(groupValue(row, TELEMETRY_KEYS.statusCode) ?? 0);
      const outcome = String(groupValue(row, TELEMETRY_KEYS.outcome) ?? "ok");
      const failed = !HEALTHY_OUTCOMES.has(outcome);
      traffic.requests += row.count;
      stored += row.count / row.sampleInterval;
      if (failed) traffic.exceptions += row.count;
      if (failed || status >= 500) traffic.serverErrors += row.count;
      else if (status >= 400) traffic.clientErrors += row.count;
    }
    if (stored > 0) traffic.sampleInterval = traffic.requests / stored;
    const latency = latencies.find((row) => groupValue(row, TELEMETRY_KEYS.version) === versionId);
    if (traffic.requests > 0 && latency) traffic.p95Ms = latency.value;
    return traffic;
  });
}

/** The telemetry of one account: Cloudflare's, or the local control plane's (`local`). */
export function telemetryReader(
  http: HttpClient,
  api: CloudflareApi,
  options: { local: boolean },
): RolloutTelemetry {
  const reader: RolloutTelemetry = {
    async traffic(worker, versionIds, since, until) {
      const window = { worker, eventType: "fetch" as const, versionIds, since, until };
      const [counts, latencies] = await Promise.all([
        runQuery(
          http,
          api,
          telemetryQueryBody({
            ...window,
            calculation: "count",
            groupBy: [TELEMETRY_KEYS.version, TELEMETRY_KEYS.statusCode, TELEMETRY_KEYS.outcome],
          }),
        ),
        runQuery(
          http,
          api,
          telemetryQueryBody({ ...window, calculation: "p95", groupBy: [TELEMETRY_KEYS.version] }),
        ),
      ]);
      return foldTraffic(versionIds, counts, latencies);
    },
    async scheduledRuns(worker, versionId, since, until) {
      const rows = await runQuery(
        http,
        api,
        telemetryQueryBody({
          worker,
          eventType: "scheduled",
          versionIds: [versionId],
          since,
          until,
          calculation: "count",
          groupBy: [TELEMETRY_KEYS.outcome],
        }),
      );
      const runs: ScheduledRuns = { ok: 0, failed: 0 };
      for (const row of rows) {
        if (groupValue(row, TELEMETRY_KEYS.outcome) === "ok") runs.ok += row.count;
        else runs.failed += row.count;
      }
      return runs;
    },
    async schedules(worker) {
      const answer = await workerScriptRequest(http, api, {
        method: "GET",
        worker,
        path: "schedules",
      });
      if (answer.kind === "refused") throw new Error(`schedules: ${describeRefusal(answer)}`);
      if (answer.kind === "unreachable") throw new Error(`schedules: ${answer.reason}`);
      const parsed = z
        .object({ schedules: z.array(z.object({ cron: z.string() })) })
        .safeParse(answer.result);
      if (!parsed.success) throw new Error("schedules: unexpected answer");
      return parsed.data.schedules.map((schedule) => schedule.cron);
    },
  };
  if (!options.local) return reader;
  return {
    ...reader,
    async fireScheduled(worker, cron) {
      // The control plane's own route beside its API base (cron triggers do not run on a
      // clock there).
      const origin = api.baseUrl.replace(/\/client\/v4\/?$/, "");
      const response = await http.request({
        method: "POST",
        url: `${origin}/__local-cloud/workers/${encodeURIComponent(worker)}/scheduled?cron=${encodeURIComponent(cron)}`,
        headers: {},
        timeoutMs: 30_000,
      });
      // A failed handler answers an error too: its invocation is recorded either way, and the
      // telemetry is what judges it.
      if (response.status >= 500 && !response.body.includes('"success"')) {
        throw new Error(`firing ${worker}'s "${cron}" answered HTTP ${response.status}`);
      }
    },
  };
}
