import {
  buildSchema,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLResolveInfo,
  Kind,
  parse,
  type SelectionNode,
  specifiedRules,
  VariablesInAllowedPositionRule,
  validate,
} from "graphql";
import * as z from "zod";
import { errorStatuses, type Invocation, type InvocationLog } from "./invocation-log.js";

/**
 * `POST /client/v4/graphql`: the part of Cloudflare's GraphQL Analytics API that reads Worker
 * invocations, answered from the traffic the control plane served, so a query written for
 * Cloudflare runs unchanged here. Names, scalar types and units are Cloudflare's
 * (developers.cloudflare.com/analytics/graphql-api/tutorials/querying-workers-metrics/ and the
 * schema's own descriptions): `workersInvocationsAdaptive` groups invocations by the selected
 * dimensions; `sum.errors` counts invocations whose status is an error (an exception, not a
 * 5xx the code returned); quantiles are in microseconds. Wall time here is measured from
 * handing the request to the version until the last byte of its response. Anything outside
 * this subset is refused with the same validation error Cloudflare gives an unknown field.
 */
const schema = buildSchema(`
  scalar string
  scalar Time
  scalar uint64
  scalar float64

  type Query {
    viewer: viewer
  }

  type viewer {
    accounts(filter: AccountFilter_InputObject!): [account!]!
  }

  input AccountFilter_InputObject {
    accountTag: string
  }

  type account {
    workersInvocationsAdaptive(
      limit: uint64!
      filter: AccountWorkersInvocationsAdaptiveFilter_InputObject
    ): [AccountWorkersInvocationsAdaptive!]!
  }

  input AccountWorkersInvocationsAdaptiveFilter_InputObject {
    scriptName: string
    scriptName_in: [string]
    scriptVersion: string
    scriptVersion_in: [string]
    status: string
    datetime_geq: Time
    datetime_gt: Time
    datetime_leq: Time
    datetime_lt: Time
  }

  type AccountWorkersInvocationsAdaptive {
    dimensions: AccountWorkersInvocationsAdaptiveDimensions
    sum: AccountWorkersInvocationsAdaptiveSum
    quantiles: AccountWorkersInvocationsAdaptiveQuantiles
  }

  type AccountWorkersInvocationsAdaptiveDimensions {
    scriptName: string
    scriptVersion: string
    status: string
    "The invocation's start, truncated to the minute"
    datetimeMinute: Time
  }

  type AccountWorkersInvocationsAdaptiveSum {
    requests: uint64
    errors: uint64
  }

  type AccountWorkersInvocationsAdaptiveQuantiles {
    "Wall time 50th percentile - microseconds"
    wallTimeP50: float64
    "Wall time 75th percentile - microseconds"
    wallTimeP75: float64
    "Wall time 90th percentile - microseconds"
    wallTimeP90: float64
    "Wall time 95th percentile - microseconds"
    wallTimeP95: float64
    "Wall time 99th percentile - microseconds"
    wallTimeP99: float64
  }
`);

// Cloudflare's own documented example passes `string` variables into `Time` filters, so its
// server does not apply this rule; applying it would refuse queries that work there.
const rules = specifiedRules.filter((rule) => rule !== VariablesInAllowedPositionRule);

const requestSchema = z.object({
  query: z.string(),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().nullish(),
});

const invocationsFilterSchema = z
  .object({
    scriptName: z.string(),
    scriptName_in: z.array(z.string()),
    scriptVersion: z.string(),
    scriptVersion_in: z.array(z.string()),
    status: z.string(),
    datetime_geq: z.iso.datetime({ offset: true }),
    datetime_gt: z.iso.datetime({ offset: true }),
    datetime_leq: z.iso.datetime({ offset: true }),
    datetime_lt: z.iso.datetime({ offset: true }),
  })
  .partial();

type InvocationsFilter = z.infer<typeof invocationsFilterSchema>;

function matches(filter: InvocationsFilter, invocation: Invocation): boolean {
  const at = invocation.datetime;
  const time = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));
  const [geq, gt, leq, lt] = [
    time(filter.datetime_geq),
    time(filter.datetime_gt),
    time(filter.datetime_leq),
    time(filter.datetime_lt),
  ];
  return (
    (filter.scriptName === undefined || invocation.scriptName === filter.scriptName) &&
    (filter.scriptName_in === undefined || filter.scriptName_in.includes(invocation.scriptName)) &&
    (filter.scriptVersion === undefined || invocation.scriptVersion === filter.scriptVersion) &&
    (filter.scriptVersion_in === undefined ||
      filter.scriptVersion_in.includes(invocation.scriptVersion)) &&
    (filter.status === undefined || invocation.status === filter.status) &&
    (geq === undefined || at >= geq) &&
    (gt === undefined || at > gt) &&
    (leq === undefined || at <= leq) &&
    (lt === undefined || at < lt)
  );
}

const dimensionOf: Record<string, (invocation: Invocation) => string> = {
  scriptName: (invocation) => invocation.scriptName,
  scriptVersion: (invocation) => invocation.scriptVersion,
  status: (invocation) => invocation.status,
  datetimeMinute: (invocation) =>
    new Date(Math.floor(invocation.datetime / 60_000) * 60_000).toISOString().replace(".000Z", "Z"),
};

/** The dimension fields a query selects: the rows are grouped by exactly these. */
function selectedDimensions(info: GraphQLResolveInfo): string[] {
  const fields = (selections: readonly SelectionNode[] | undefined) =>
    (selections ?? []).map((selection) => {
      // Fragments could hide dimensions from this reading and so group rows wrongly.
      if (selection.kind !== Kind.FIELD) {
        throw new GraphQLError("the local control plane does not support fragments here");
      }
      return selection;
    });
  const names = new Set<string>();
  for (const node of info.fieldNodes) {
    for (const field of fields(node.selectionSet?.selections)) {
      if (field.name.value !== "dimensions") continue;
      for (const dimension of fields(field.selectionSet?.selections)) {
        if (dimension.name.value !== "__typename") names.add(dimension.name.value);
      }
    }
  }
  return [...names];
}

/** Nearest-rank percentile of ascending `sorted` (never empty: every row has an invocation). */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

function groupRows(invocations: Invocation[], dimensions: string[], limit: number) {
  const groups = new Map<string, Invocation[]>();
  for (const invocation of invocations) {
    const key = JSON.stringify(dimensions.map((name) => dimensionOf[name]?.(invocation)));
    const group = groups.get(key);
    if (group) group.push(invocation);
    else groups.set(key, [invocation]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, limit)
    .map(([, members]) => {
      const first = members[0] as Invocation;
      const wallTimes = members.map((m) => m.wallTimeUs).sort((a, b) => a - b);
      return {
        dimensions: Object.fromEntries(
          dimensions.map((name) => [name, dimensionOf[name]?.(first)]),
        ),
        sum: {
          requests: members.length,
          errors: members.filter((m) => errorStatuses.has(m.status)).length,
        },
        quantiles: {
          wallTimeP50: percentile(wallTimes, 0.5),
          wallTimeP75: percentile(wallTimes, 0.75),
          wallTimeP90: percentile(wallTimes, 0.9),
          wallTimeP95: percentile(wallTimes, 0.95),
          wallTimeP99: percentile(wallTimes, 0.99),
        },
      };
    });
}

/** The JSON Cloudflare answers with: `{ data, errors }`, errors null on success, HTTP 200 either way. */
export type AnalyticsAnswer = Pick<ExecutionResult, "data"> & {
  errors: readonly GraphQLError[] | null;
};

export async function answerAnalyticsQuery(
  body: unknown,
  accountId: string,
  log: InvocationLog,
): Promise<AnalyticsAnswer> {
  const request = requestSchema.safeParse(body);
  if (!request.success) {
    return {
      data: null,
      errors: [new GraphQLError(`expected {query, variables?}: ${request.error.message}`)],
    };
  }
  let document: ReturnType<typeof parse>;
  try {
    document = parse(request.data.query);
  } catch (error) {
    return { data: null, errors: [error as GraphQLError] };
  }
  const invalid = validate(schema, document, rules);
  if (invalid.length > 0) return { data: null, errors: invalid };
  const account = {
    workersInvocationsAdaptive(
      args: { limit: unknown; filter?: unknown },
      _context: unknown,
      info: GraphQLResolveInfo,
    ) {
      const filter = invocationsFilterSchema.safeParse(args.filter ?? {});
      if (!filter.success) {
        throw new GraphQLError(`invalid filter: ${z.prettifyError(filter.error)}`);
      }
      const limit = z.number().int().nonnegative().safeParse(args.limit);
      if (!limit.success) throw new GraphQLError("limit must be a non-negative integer");
      return groupRows(
        log.select((invocation) => matches(filter.data, invocation)),
        selectedDimensions(info),
        limit.data,
      );
    },
  };
  const result = await execute({
    schema,
    document,
    variableValues: request.data.variables ?? {},
    operationName: request.data.operationName ?? null,
    rootValue: {
      viewer: () => ({
        accounts: ({ filter }: { filter: { accountTag?: unknown } }) => {
          if (filter.accountTag !== accountId) {
            throw new GraphQLError(
              `local control plane: unknown account ${String(filter.accountTag)}; the account is ${accountId}`,
            );
          }
          return [account];
        },
      }),
    },
  });
  return { data: result.data ?? null, errors: result.errors ?? null };
}
