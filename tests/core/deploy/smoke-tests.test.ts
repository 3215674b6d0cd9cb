import { describe, expect, it } from "vitest";
import {
  findMismatch,
  type HttpClient,
  parseSmokeTests,
  runSmokeTest,
  type SmokeTest,
} from "#core";

/** Answers every request with the given response and remembers what was sent. */
function answering(response: { status: number; body: string; headers?: Record<string, string> }) {
  const sent: Parameters<HttpClient["request"]>[0][] = [];
  const http: HttpClient = {
    async request(request) {
      sent.push(request);
      return { status: response.status, body: response.body, headers: response.headers ?? {} };
    },
  };
  return { http, sent };
}

const test = (overrides: Partial<SmokeTest>): SmokeTest => ({
  name: "probe",
  method: "GET",
  path: "/health",
  expectStatus: 200,
  ...overrides,
});

const run = (http: HttpClient, smoke: SmokeTest) =>
  runSmokeTest(http, "https://worker.example/", smoke, () => 0);

describe("smoke tests", () => {
  it("send a JSON body as JSON and a string body as it is", async () => {
    const { http, sent } = answering({ status: 201, body: "" });
    await run(http, test({ method: "POST", body: { a: 1 }, expectStatus: 201 }));
    await run(
      http,
      test({
        method: "POST",
        body: "raw",
        headers: { "content-type": "text/plain" },
        expectStatus: 201,
      }),
    );
    expect(
      sent.map((request) => [request.url, request.body, request.headers["content-type"]]),
    ).toEqual([
      ["https://worker.example/health", '{"a":1}', "application/json"],
      ["https://worker.example/health", "raw", "text/plain"],
    ]);
  });

  it("fail on the status, then on a header (case-insensitive name), then on a body that is not JSON", async () => {
    const { http } = answering({ status: 200, body: "<html>", headers: { "x-service": "db" } });
    expect((await run(http, test({ expectStatus: 204 }))).failure).toBe(
      "GET /health: expected status 204, got 200: <html>",
    );
    expect((await run(http, test({ expectHeaders: { "X-Service": "gateway" } }))).failure).toBe(
      'header X-Service: expected "gateway", got "db"',
    );
    expect((await run(http, test({ expectHeaders: { "x-missing": "1" } }))).failure).toBe(
      'header x-missing: expected "1", got null',
    );
    expect((await run(http, test({ expectJson: { ok: true } }))).failure).toBe(
      'expected a JSON body, got "<html>"',
    );
    expect(await run(http, test({ expectHeaders: { "X-Service": "db" } }))).toEqual({
      name: "probe",
      ok: true,
      durationMs: 0,
    });
  });

  it("match JSON partially: objects by the keys given, arrays item by item and by length", () => {
    const actual = { service: "db", checks: [{ name: "d1", ok: true }], extra: 1 };
    expect(findMismatch({ checks: [{ ok: true }] }, actual, "$")).toBeUndefined();
    expect(findMismatch({ checks: [{ ok: false }] }, actual, "$")).toBe(
      "$.checks[0].ok: expected false, got true",
    );
    expect(findMismatch({ checks: [] }, actual, "$")).toBe(
      '$.checks: expected an array of 0, got [{"name":"d1","ok":true}]',
    );
    expect(findMismatch({ service: { name: "db" } }, actual, "$")).toBe(
      '$.service: expected an object, got "db"',
    );
    expect(findMismatch([1], { 0: 1 }, "$")).toBe('$: expected an array of 1, got {"0":1}');
    expect(findMismatch({ a: 1 }, [1], "$")).toBe("$: expected an object, got [1]");
  });

  it("name the place in smoke.json that is wrong, or the root", () => {
    expect(() => parseSmokeTests("smoke.json", "{}")).toThrow(/^smoke\.json: \(root\): /);
    expect(() => parseSmokeTests("smoke.json", '[{"name":"x"}]')).toThrow(
      /^smoke\.json: 0\.method: /,
    );
    expect(() => parseSmokeTests("smoke.json", "[")).toThrow(/^smoke\.json: invalid JSON/);
  });
});
