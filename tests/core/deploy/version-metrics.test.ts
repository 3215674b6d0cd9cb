import { describe, expect, it } from "vitest";
import {
  fetchVersionMetrics,
  type HttpClient,
  type HttpRequest,
  parseVersionMetrics,
  VERSION_METRICS_QUERY,
} from "#core";

const request = {
  apiBaseUrl: "https://api.cloudflare.com/client/v4/",
  apiToken: "token-1",
  accountId: "acc",
  scriptName: "gateway-staging",
  versionIds: ["v-new", "v-old"],
  since: new Date("2026-11-01T10:00:00Z"),
  until: new Date("2026-11-01T10:05:00Z"),
};

function answering(status: number, body: unknown): HttpClient & { sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return {
    sent,
    async request(req) {
      sent.push(req);
      return { status, headers: {}, body: typeof body === "string" ? body : JSON.stringify(body) };
    },
  };
}

const rows = (...items: [string, number, number, number][]) => ({
  data: {
    viewer: {
      accounts: [
        {
          workersInvocationsAdaptive: items.map(([scriptVersion, requests, errors, p95]) => ({
            dimensions: { scriptVersion },
            sum: { requests, errors },
            quantiles: { wallTimeP95: p95 },
          })),
        },
      ],
    },
  },
  errors: null,
});

describe("per-version metrics from the GraphQL Analytics API", () => {
  it("posts the query with the account, worker, versions and window as variables", async () => {
    const http = answering(200, rows(["v-new", 40, 8, 212_500], ["v-old", 360, 0, 4_100]));
    const metrics = await fetchVersionMetrics(http, request);
    expect(metrics).toEqual([
      { versionId: "v-new", requests: 40, errors: 8, p95Ms: 212.5 },
      { versionId: "v-old", requests: 360, errors: 0, p95Ms: 4.1 },
    ]);
    const [sent] = http.sent;
    expect(sent?.method).toBe("POST");
    expect(sent?.url).toBe("https://api.cloudflare.com/client/v4/graphql");
    expect(sent?.headers.authorization).toBe("Bearer token-1");
    expect(JSON.parse(sent?.body ?? "")).toEqual({
      query: VERSION_METRICS_QUERY,
      variables: {
        accountTag: "acc",
        scriptName: "gateway-staging",
        versions: ["v-new", "v-old"],
        since: "2026-11-01T10:00:00.000Z",
        until: "2026-11-01T10:05:00.000Z",
      },
    });
  });

  it("gives a version without traffic zero requests and no p95", () => {
    expect(
      parseVersionMetrics(JSON.stringify(rows(["v-old", 3, 0, 900])), request.versionIds),
    ).toEqual([
      { versionId: "v-new", requests: 0, errors: 0, p95Ms: undefined },
      { versionId: "v-old", requests: 3, errors: 0, p95Ms: 0.9 },
    ]);
  });

  it("fails in one line on GraphQL errors, HTTP errors and answers of another shape", async () => {
    await expect(
      fetchVersionMetrics(
        answering(200, { data: null, errors: [{ message: "not authorized for that account" }] }),
        request,
      ),
    ).rejects.toThrow("analytics API: not authorized for that account");
    await expect(fetchVersionMetrics(answering(502, "bad gateway"), request)).rejects.toThrow(
      "analytics API answered HTTP 502: bad gateway",
    );
    await expect(
      fetchVersionMetrics(answering(200, { data: { viewer: { accounts: [] } } }), request),
    ).rejects.toThrow("the token cannot read this account");
    await expect(fetchVersionMetrics(answering(200, "<html>"), request)).rejects.toThrow(
      "expected JSON",
    );
    await expect(
      fetchVersionMetrics(answering(200, { data: { viewer: {} } }), request),
    ).rejects.toThrow(/unexpected answer/);
  });
});
