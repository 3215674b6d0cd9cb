import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { allCalls, fake, resetFakes } from "./fakes";
import { errorOf, postJson, request } from "./http";

beforeEach(resetFakes);

describe("GET /health", () => {
  it("reports every downstream and is ok when all are", async () => {
    const res = await request("/health");
    expect(res.status).toBe(200);
    const body = await res.json<{ status: string; services: Record<string, unknown> }>();
    expect(body).toMatchObject({ service: "gateway", version: env.VERSION?.id, status: "ok" });
    expect(Object.keys(body.services).sort()).toEqual(
      ["auth", "db", "email", "mcp", "queue", "schedule", "webhooks"].sort(),
    );
    expect(body.services.db).toEqual({ status: "ok", version: "db-v1" });
  });

  it("answers 503 and names the service when one reports itself degraded", async () => {
    await fake("EMAIL").setHealth("degraded");
    const res = await request("/health");
    expect(res.status).toBe(503);
    const body = await res.json<{ status: string; services: Record<string, unknown> }>();
    expect(body.status).toBe("degraded");
    expect(body.services.email).toEqual({ status: "down", error: "reported degraded" });
    expect(body.services.db).toMatchObject({ status: "ok" });
  });

  it("counts an HTTP error and a crashing service as down", async () => {
    await fake("QUEUE").setHealth("error");
    await fake("MCP").setHealth("throw");
    const res = await request("/health");
    expect(res.status).toBe(503);
    const { services } = await res.json<{ services: Record<string, { status: string }> }>();
    expect(services.queue).toEqual({ status: "down", error: "HTTP 500" });
    expect(services.mcp?.status).toBe("down");
  });
});

describe("request id", () => {
  it("generates one for every response, errors included", async () => {
    const res = await request("/nowhere");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps a well-formed incoming id and passes it downstream", async () => {
    const traced = await request("/v1/webhooks/github", {
      method: "POST",
      headers: { "x-request-id": "trace-123" },
      body: "{}",
    });
    expect(traced.headers.get("x-request-id")).toBe("trace-123");
    const [[, forwarded]] = (await fake("WEBHOOKS").recordedCalls()) as [
      [string, { headers: Record<string, string> }],
    ];
    expect(forwarded.headers["x-request-id"]).toBe("trace-123");
  });

  it("replaces an incoming id with unsafe characters", async () => {
    const res = await request("/health", { headers: { "x-request-id": "<script>" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("CORS", () => {
  it("answers a preflight without touching any service", async () => {
    const res = await request("/v1/jobs", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(await allCalls()).toEqual({});
  });

  it("adds CORS headers to ordinary responses and exposes the request id", async () => {
    const res = await request("/health", { headers: { origin: "https://app.example.com" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });
});

describe("errors", () => {
  it("answers an unknown route with a JSON 404", async () => {
    const res = await request("/v2/jobs");
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({
      code: "not_found",
      message: expect.stringMatching(/^no route for GET \/v2\/jobs; valid: GET \/health, /),
    });
  });

  it("refuses an oversized body with 413 before any service sees it", async () => {
    const res = await postJson("/v1/webhooks/github", { blob: "x".repeat(70_000) });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
    expect(await allCalls()).toEqual({});
  });

  it("refuses an oversized streamed body that declares no length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await request("/v1/webhooks/github", { method: "POST", body });
    expect(res.status).toBe(413);
    expect(await allCalls()).toEqual({});
  });
});
