import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  retryAfterMs,
  retryingHttpClient,
  safeToRepeat,
} from "#core";
import { virtualClock } from "../../helpers/fakes.js";

const API = "https://api.example.test/client/v4/accounts/a/workers/scripts/gateway";

/** Answers from `script` in order: a response, or an error to throw (no answer). */
function scripted(script: (HttpResponse | Error)[]): HttpClient & { calls: number } {
  const client = {
    calls: 0,
    async request(_request: HttpRequest): Promise<HttpResponse> {
      const next = script[client.calls++];
      if (next === undefined) throw new Error("script ran out");
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return client;
}

const answer = (status: number, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  body: "{}",
});

const get = (path = "deployments"): HttpRequest => ({
  method: "GET",
  url: `${API}/${path}`,
  headers: {},
  timeoutMs: 1_000,
});

describe("retryingHttpClient", () => {
  it("waits what Retry-After asks after a 429, then returns the answer that follows", async () => {
    const http = scripted([answer(429, { "retry-after": "3" }), answer(200)]);
    const clock = virtualClock();
    const notices: string[] = [];
    const response = await retryingHttpClient(http, clock, DEFAULT_RETRY_POLICY, (line) =>
      notices.push(line),
    ).request(get());
    expect(response.status).toBe(200);
    expect(clock.slept).toEqual([3_000]);
    expect(notices).toEqual([
      "GET /client/v4/accounts/a/workers/scripts/gateway/deployments: HTTP 429; retry 1/4 in 3000 ms",
    ]);
  });

  it("backs off exponentially on 5xx and gives the last answer up when attempts run out", async () => {
    const http = scripted([answer(500), answer(502), answer(503), answer(504), answer(500)]);
    const clock = virtualClock();
    const response = await retryingHttpClient(http, clock).request(get());
    expect(response.status).toBe(500);
    expect(http.calls).toBe(5);
    expect(clock.slept).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it("returns at once a 4xx other than 429, a 501, and a Retry-After longer than the policy allows", async () => {
    for (const first of [answer(403), answer(501), answer(429, { "retry-after": "3600" })]) {
      const http = scripted([first, answer(200)]);
      const response = await retryingHttpClient(http, virtualClock()).request(get());
      expect(response.status).toBe(first.status);
      expect(http.calls).toBe(1);
    }
  });

  it("repeats a read and a deployment that got no answer, but never an upload", async () => {
    const read = scripted([new Error("timeout"), answer(200)]);
    expect((await retryingHttpClient(read, virtualClock()).request(get())).status).toBe(200);
    const deployment = scripted([new Error("socket hang up"), answer(200)]);
    const switched = await retryingHttpClient(deployment, virtualClock()).request({
      ...get(),
      method: "POST",
      body: "{}",
    });
    expect(switched.status).toBe(200);
    const upload = scripted([new Error("timeout"), answer(200)]);
    await expect(
      retryingHttpClient(upload, virtualClock()).request({ ...get("versions"), method: "POST" }),
    ).rejects.toThrow("timeout");
    expect(upload.calls).toBe(1);
  });
});

describe("safeToRepeat", () => {
  it("allows reads, deployments and analytics queries; not uploads or script PUTs", () => {
    expect(safeToRepeat({ method: "GET", url: `${API}/versions` })).toBe(true);
    expect(safeToRepeat({ method: "POST", url: `${API}/deployments` })).toBe(true);
    expect(
      safeToRepeat({ method: "POST", url: "https://api.example.test/client/v4/graphql" }),
    ).toBe(true);
    expect(safeToRepeat({ method: "POST", url: `${API}/versions` })).toBe(false);
    expect(safeToRepeat({ method: "PUT", url: API })).toBe(false);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, and ignores what it cannot read", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(retryAfterMs("2", now)).toBe(2_000);
    expect(retryAfterMs("Thu, 26 Nov 2026 12:00:05 GMT", now)).toBe(5_000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
