import { randomUUID } from "node:crypto";
import * as z from "zod";
import { ApiError, ErrorCode } from "../api/envelope.js";
import type { Invocation, InvocationLog } from "./invocation-log.js";

/**
 * `POST /accounts/:account/workers/observability/telemetry/query`: Workers Observability's
 * query API (the `cloudflare` SDK's `workers.observability.telemetry.query`), answered from the
 * invocations the control plane served, in the request and response shapes of the SDK's
 * TelemetryQueryParams and TelemetryQueryResponse (cloudflare@7.3.0). The `calculations` view
 * is served: count and numeric aggregates over the invocation events of the
 * `cloudflare-workers` dataset, filtered and grouped by their fields. Each invocation is one
 * event with these keys:
 *   `$metadata.service` (the script), `$metadata.statusCode` (the HTTP status it answered;
 *   absent for a scheduled run), `$workers.scriptVersion.id`, `$workers.eventType` ("fetch" or
 *   "scheduled"), `$workers.outcome` ("ok", "exception", "canceled", "unknown") and
 *   `$workers.wallTimeMs`.
 * Every invocation is kept (no head sampling locally), so each answer's sampleInterval is 1.
 */
const DATASET = "cloudflare-workers";

const OUTCOMES: Record<Invocation["status"], string> = {
  success: "ok",
  scriptThrewException: "exception",
  clientDisconnected: "canceled",
  internalError: "unknown",
};

type Value = string | number | boolean;

function fieldsOf(invocation: Invocation): Record<string, Value | undefined> {
  return {
    "$metadata.service": invocation.scriptName,
    "$metadata.statusCode": invocation.statusCode,
    "$workers.scriptName": invocation.scriptName,
    "$workers.scriptVersion.id": invocation.scriptVersion,
    "$workers.eventType": invocation.eventType ?? "fetch",
    "$workers.outcome": OUTCOMES[invocation.status],
    "$workers.wallTimeMs": invocation.wallTimeUs / 1000,
  };
}

const OPERATIONS = [
  "eq",
  "neq",
  "in",
  "not_in",
  "gt",
  "gte",
  "lt",
  "lte",
  "exists",
  "is_null",
  "=",
  "!=",
  ">",
  ">=",
  "<",
  "<=",
  "IN",
  "NOT_IN",
  "EXISTS",
  "DOES_NOT_EXIST",
] as const;

const leafSchema = z.object({
  kind: z.literal("filter").optional(),
  key: z.string(),
  operation: z.enum(OPERATIONS),
  type: z.enum(["string", "number", "boolean"]),
  value: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

type Leaf = z.infer<typeof leafSchema>;
type Group = { kind: "group"; filterCombination: string; filters: (Leaf | Group)[] };

const filterSchema: z.ZodType<Leaf | Group> = z.lazy(() =>
  z.union([
    leafSchema,
    z.object({
      kind: z.literal("group"),
      filterCombination: z.enum(["and", "or", "AND", "OR"]),
      filters: z.array(filterSchema),
    }),
  ]),
);

const AGGREGATES = [
  "count",
  "sum",
  "avg",
  "min",
  "max",
  "median",
  "p50",
  "p75",
  "p90",
  "p95",
  "p99",
  "p999",
] as const;

const querySchema = z.object({
  queryId: z.string().min(1),
  timeframe: z.object({ from: z.number(), to: z.number() }),
  view: z.literal("calculations", {
    error: "the local control plane serves only view: calculations",
  }),
  chartType: z.enum(["timeseries_and_aggregate", "timeseries", "aggregate"]).optional(),
  dry: z.boolean().optional(),
  ignoreSeries: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
  parameters: z.object({
    datasets: z.array(z.string()).default([]),
    filterCombination: z.enum(["and", "or", "AND", "OR"]).default("and"),
    filters: z.array(filterSchema).default([]),
    calculations: z
      .array(
        z.object({
          operator: z
            .string()
            .transform((value) => value.toLowerCase())
            .pipe(z.enum(AGGREGATES)),
          key: z.string().optional(),
          keyType: z.enum(["string", "number", "boolean"]).optional(),
          alias: z.string().optional(),
        }),
      )
      .min(1),
    groupBys: z
      .array(z.object({ type: z.enum(["string", "number", "boolean"]), value: z.string() }))
      .default([]),
    limit: z.number().int().positive().optional(),
  }),
});

function compare(actual: Value | undefined, leaf: Leaf): boolean {
  const { operation, value } = leaf;
  const numeric = (x: Value | undefined) => (typeof x === "number" ? x : Number(x));
  switch (operation) {
    case "exists":
    case "EXISTS":
      return actual !== undefined;
    case "is_null":
    case "DOES_NOT_EXIST":
      return actual === undefined;
    case "in":
    case "IN":
    case "not_in":
    case "NOT_IN": {
      // Set membership takes comma-separated values (the SDK's description of `in`).
      const member = String(value ?? "")
        .split(",")
        .map((item) => item.trim())
        .includes(String(actual));
      return operation.toLowerCase() === "in" ? actual !== undefined && member : !member;
    }
    case "eq":
    case "=":
      return actual !== undefined && String(actual) === String(value);
    case "neq":
    case "!=":
      return String(actual) !== String(value);
    case "gt":
    case ">":
      return actual !== undefined && numeric(actual) > numeric(value);
    case "gte":
    case ">=":
      return actual !== undefined && numeric(actual) >= numeric(value);
    case "lt":
    case "<":
      return actual !== undefined && numeric(actual) < numeric(value);
    case "lte":
    case "<=":
      return actual !== undefined && numeric(actual) <= numeric(value);
  }
}

function matches(fields: Record<string, Value | undefined>, filter: Leaf | Group): boolean {
  if ("kind" in filter && filter.kind === "group") {
    return combine(fields, filter.filters, filter.filterCombination);
  }
  const leaf = filter as Leaf;
  return compare(fields[leaf.key], leaf);
}

function combine(
  fields: Record<string, Value | undefined>,
  filters: (Leaf | Group)[],
  combination: string,
): boolean {
  return combination.toLowerCase() === "or"
    ? filters.length === 0 || filters.some((filter) => matches(fields, filter))
    : filters.every((filter) => matches(fields, filter));
}

/** Nearest-rank percentile of ascending `sorted` (never empty). */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

function aggregate(operator: (typeof AGGREGATES)[number], values: number[], count: number): number {
  if (operator === "count") return count;
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = values.reduce((total, value) => total + value, 0);
  switch (operator) {
    case "sum":
      return sum;
    case "avg":
      return sum / values.length;
    case "min":
      return sorted[0] as number;
    case "max":
      return sorted.at(-1) as number;
    case "median":
    case "p50":
      return percentile(sorted, 0.5);
    case "p75":
      return percentile(sorted, 0.75);
    case "p90":
      return percentile(sorted, 0.9);
    case "p95":
      return percentile(sorted, 0.95);
    case "p99":
      return percentile(sorted, 0.99);
    case "p999":
      return percentile(sorted, 0.999);
  }
}

/** The answer to one query, as the API's `result`. */
export function answerTelemetryQuery(body: unknown, accountId: string, log: InvocationLog) {
  const parsed = querySchema.safeParse(body);
  if (!parsed.success) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      `invalid telemetry query: ${z.prettifyError(parsed.error).replace(/\s+/g, " ")}`,
    );
  }
  const query = parsed.data;
  const { parameters, timeframe } = query;
  if (timeframe.from >= timeframe.to) {
    throw new ApiError(
      400,
      ErrorCode.badRequest,
      "timeframe.from must be earlier than timeframe.to",
    );
  }
  const datasets = parameters.datasets;
  const events =
    datasets.length > 0 && !datasets.includes(DATASET)
      ? []
      : log
          .select(
            (invocation) =>
              invocation.datetime >= timeframe.from && invocation.datetime <= timeframe.to,
          )
          .map(fieldsOf)
          .filter((fields) => combine(fields, parameters.filters, parameters.filterCombination));
  const groups = new Map<string, Record<string, Value | undefined>[]>();
  for (const fields of events) {
    const key = JSON.stringify(parameters.groupBys.map((group) => fields[group.value] ?? null));
    const members = groups.get(key);
    if (members) members.push(fields);
    else groups.set(key, [fields]);
  }
  const limit = parameters.limit ?? query.limit ?? 10;
  const started = performance.now();
  const calculations = parameters.calculations.map((calculation) => {
    const label = calculation.key ? `${calculation.operator}(${calculation.key})` : "count";
    const aggregates = [...groups.values()]
      .map((members) => {
        const values = calculation.key
          ? members.flatMap((fields) => {
              const value = fields[calculation.key as string];
              return typeof value === "number" ? [value] : [];
            })
          : [];
        return {
          count: members.length,
          interval: 1,
          sampleInterval: 1,
          value: aggregate(calculation.operator, values, members.length),
          groups: parameters.groupBys.flatMap((group) => {
            const value = members[0]?.[group.value];
            return value === undefined ? [] : [{ key: group.value, value }];
          }),
        };
      })
      .sort((a, b) => b.value - a.value)
      .slice(0, limit);
    return {
      calculation: label,
      ...(calculation.alias === undefined ? {} : { alias: calculation.alias }),
      aggregates,
      series: [],
    };
  });
  const now = new Date().toISOString();
  const statistics = {
    bytes_read: 0,
    elapsed: (performance.now() - started) / 1000,
    rows_read: events.length,
  };
  return {
    run: {
      id: randomUUID(),
      accountId,
      dry: query.dry ?? false,
      granularity: 0,
      query: {
        id: query.queryId,
        adhoc: true,
        created: now,
        createdBy: "local",
        description: null,
        name: query.queryId,
        parameters,
        updated: now,
        updatedBy: "local",
      },
      status: "COMPLETED",
      timeframe,
      userId: "local",
      statistics,
    },
    statistics,
    calculations,
  };
}
