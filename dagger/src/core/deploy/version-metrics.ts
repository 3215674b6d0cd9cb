import * as z from "zod";
import type { HttpClient } from "./ports.js";

/**
 * Live metrics of each version of a Worker, read from Cloudflare's GraphQL Analytics API
 * (`POST <api base>/graphql`), dataset `workersInvocationsAdaptive`, grouped by its
 * `scriptVersion` dimension. It judged gradual deployments until it was found blind to 5xx
 * responses (below); the rollout now reads Workers Observability's telemetry
 * (telemetry-query.ts), which has the status code and the exceptions this has. What is left
 * is a check that needs no `observability` setting on the Worker: the local control plane
 * answers the same query, and its tests read the traffic it served through it.
 *
 * What the fields mean on Cloudflare (developers.cloudflare.com/workers/observability/
 * metrics-and-analytics/, analytics/graphql-api/tutorials/querying-workers-metrics/):
 *   - `sum.requests`: invocations; the dataset is adaptively sampled, so large counts are
 *     estimates;
 *   - `sum.errors`: invocations that threw, exceeded resources or failed inside the runtime. A
 *     5xx response the code returned is a success there (a Hono app's onError answers 500 and
 *     counts as one), so errors do not see those;
 *   - `quantiles.wallTimeP95`: p95 wall time in microseconds, the time the invocation ran
 *     including waits on I/O. The dataset has no per-version response-time field that every
 *     Worker fills (`requestDuration` needs Smart Placement), so wall time is the latency.
 */
export const VERSION_METRICS_QUERY = `query VersionMetrics($accountTag: string!, $scriptName: string!, $versions: [string!]!, $since: Time!, $until: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      workersInvocationsAdaptive(
        limit: 100
        filter: { scriptName: $scriptName, scriptVersion_in: $versions, datetime_geq: $since, datetime_leq: $until }
      ) {
        dimensions { scriptVersion }
        sum { requests errors }
        quantiles { wallTimeP95 }
      }
    }
  }
}`;

export const CLOUDFLARE_API_BASE_URL = "https://api.cloudflare.com/client/v4";

export interface VersionMetricsRequest {
  /** Cloudflare's API base, or the local control plane's (its `apiBaseUrl`). */
  apiBaseUrl: string;
  /** Needs Account Analytics read on Cloudflare; any token locally. */
  apiToken: string;
  accountId: string;
  scriptName: string;
  versionIds: string[];
  since: Date;
  until: Date;
  timeoutMs?: number;
}

export interface VersionMetrics {
  versionId: string;
  requests: number;
  errors: number;
  /** p95 wall time in milliseconds; undefined when the version served nothing in the window. */
  p95Ms: number | undefined;
}

const answerSchema = z.object({
  data: z
    .object({
      viewer: z.object({
        accounts: z.array(
          z.object({
            workersInvocationsAdaptive: z.array(
              z.object({
                dimensions: z.object({ scriptVersion: z.string() }),
                sum: z.object({ requests: z.number(), errors: z.number() }),
                quantiles: z.object({ wallTimeP95: z.number() }),
              }),
            ),
          }),
        ),
      }),
    })
    .nullable(),
  errors: z.array(z.object({ message: z.string() })).nullish(),
});

/** Reads an analytics answer; every requested version gets a row, zero when it had no traffic. */
export function parseVersionMetrics(body: string, versionIds: string[]): VersionMetrics[] {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new Error(`analytics API: expected JSON, got ${JSON.stringify(body.slice(0, 200))}`);
  }
  const parsed = answerSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`analytics API: unexpected answer: ${z.prettifyError(parsed.error)}`);
  }
  const { data, errors } = parsed.data;
  if (errors?.length || !data) {
    throw new Error(`analytics API: ${errors?.[0]?.message ?? "no data in the answer"}`);
  }
  const [account] = data.viewer.accounts;
  if (!account) throw new Error("analytics API: the token cannot read this account");
  const rows = new Map(
    account.workersInvocationsAdaptive.map((r) => [r.dimensions.scriptVersion, r]),
  );
  return versionIds.map((versionId) => {
    const row = rows.get(versionId);
    return {
      versionId,
      requests: row?.sum.requests ?? 0,
      errors: row?.sum.errors ?? 0,
      p95Ms: row ? row.quantiles.wallTimeP95 / 1000 : undefined,
    };
  });
}

/** The metrics of `versionIds` of one Worker between `since` and `until` (both inclusive). */
export async function fetchVersionMetrics(
  http: HttpClient,
  request: VersionMetricsRequest,
): Promise<VersionMetrics[]> {
  const response = await http.request({
    method: "POST",
    url: `${request.apiBaseUrl.replace(/\/+$/, "")}/graphql`,
    headers: {
      authorization: `Bearer ${request.apiToken}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      query: VERSION_METRICS_QUERY,
      variables: {
        accountTag: request.accountId,
        scriptName: request.scriptName,
        versions: request.versionIds,
        since: request.since.toISOString(),
        until: request.until.toISOString(),
      },
    }),
    timeoutMs: request.timeoutMs ?? 15_000,
  });
  if (response.status !== 200) {
    throw new Error(
      `analytics API answered HTTP ${response.status}: ${response.body.slice(0, 200)}`,
    );
  }
  return parseVersionMetrics(response.body, request.versionIds);
}
