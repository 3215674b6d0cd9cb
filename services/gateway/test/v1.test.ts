import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import GatewayService from "../src/index";
import { ADMIN_TOKEN, allCalls, fake, resetFakes, VALID_KEY } from "./fakes";
import { errorOf, postJson, request } from "./http";

beforeEach(resetFakes);

describe("POST /v1/keys", () => {
  it("creates a key through auth when the admin token is presented", async () => {
    const res = await postJson("/v1/keys", { name: "ci" }, ADMIN_TOKEN);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: "key-2", prefix: "wk_bbbbbbbb" });
    expect(await fake("AUTH").recordedCalls()).toEqual([["createApiKey", { name: "ci" }]]);
  });

  it.each([
    ["no token", undefined],
    ["a wrong token", "not-the-admin-token"],
    ["an API key instead of the admin token", VALID_KEY],
  ])("refuses %s with 401 and creates nothing", async (_case, token) => {
    const res = await postJson("/v1/keys", { name: "ci" }, token);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("unauthorized");
    expect(await allCalls()).toEqual({});
  });

  it("refuses a missing name with 400", async () => {
    const res = await postJson("/v1/keys", {}, ADMIN_TOKEN);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "invalid_body", message: /^name: / });
    expect(await allCalls()).toEqual({});
  });

  it("answers 503 when no admin token is configured", async () => {
    const gateway = new GatewayService(createExecutionContext(), { ...env, ADMIN_TOKEN: "" });
    const res = await gateway.fetch(
      new Request("https://gateway/v1/keys", {
        method: "POST",
        headers: { authorization: "Bearer anything" },
        body: JSON.stringify({ name: "ci" }),
      }),
    );
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("not_configured");
  });
});

describe("API key check", () => {
  it("refuses a request without a key with 401 and enqueues nothing", async () => {
    const res = await postJson("/v1/jobs", { type: "noop" });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({
      code: "unauthorized",
      message: "missing Authorization: Bearer <api key>",
    });
    expect(await fake("QUEUE").recordedCalls()).toEqual([]);
  });

  it("refuses a key auth does not know with 401", async () => {
    const res = await postJson("/v1/jobs", { type: "noop" }, `wk_${"c".repeat(64)}`);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toBe("invalid API key");
    expect(await fake("QUEUE").recordedCalls()).toEqual([]);
  });

  it("refuses a malformed Authorization header with 400", async () => {
    const res = await request("/v1/jobs/job-1", {
      headers: { authorization: "Basic dXNlcjpwdw==" },
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_authorization");
  });

  it("asks for a key before saying whether a /v1 route exists", async () => {
    expect((await request("/v1/secrets")).status).toBe(401);
    const withKey = await request("/v1/secrets", {
      headers: { authorization: `Bearer ${VALID_KEY}` },
    });
    expect(withKey.status).toBe(404);
  });
});

describe("jobs", () => {
  it("enqueues a job through the queue service", async () => {
    const res = await postJson("/v1/jobs", { type: "noop", payload: { n: 1 } }, VALID_KEY);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id: "job-1" });
    expect(await fake("QUEUE").recordedCalls()).toEqual([
      ["enqueue", { type: "noop", payload: { n: 1 } }],
    ]);
  });

  it("refuses an unknown job type naming the valid ones", async () => {
    const res = await postJson("/v1/jobs", { type: "reboot" }, VALID_KEY);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/^type: .*"send_email".*"noop"/);
    expect(await fake("QUEUE").recordedCalls()).toEqual([]);
  });

  it("refuses malformed JSON", async () => {
    const res = await postJson("/v1/jobs", "{type:", VALID_KEY);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: "invalid_json", message: "body is not valid JSON" });
    expect(await fake("QUEUE").recordedCalls()).toEqual([]);
  });

  it("passes on the queue's own 400 for a payload only it checks", async () => {
    const res = await postJson("/v1/jobs", { type: "send_email", payload: {} }, VALID_KEY);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: "invalid_input",
      message: "invalid input: payload.to: Invalid input",
    });
  });

  it("hides an unexpected downstream failure behind a 500", async () => {
    const res = await postJson(
      "/v1/jobs",
      { type: "noop", payload: { simulateOutage: true } },
      VALID_KEY,
    );
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: "internal_error", message: "internal error" });
  });

  it("reads a job from db", async () => {
    const res = await request("/v1/jobs/job-1", {
      headers: { authorization: `Bearer ${VALID_KEY}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: "job-1", status: "queued" });
  });

  it("answers 404 for a job db does not have", async () => {
    const res = await request("/v1/jobs/job-9", {
      headers: { authorization: `Bearer ${VALID_KEY}` },
    });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      code: "job_not_found",
      message: 'no job with id "job-9"',
    });
  });
});

describe("emails", () => {
  it("sends through the email service", async () => {
    const email = { to: "a@example.com", template: "welcome", data: { name: "Ada" } };
    const res = await postJson("/v1/emails", email, VALID_KEY);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "email-1", status: "sent" });
    expect(await fake("EMAIL").recordedCalls()).toEqual([["send", email]]);
  });

  it("refuses a bad address and a missing template in one message", async () => {
    const res = await postJson("/v1/emails", { to: "nobody" }, VALID_KEY);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/^to: .*; template: /);
    expect(await fake("EMAIL").recordedCalls()).toEqual([]);
  });

  it("refuses a template email does not have, naming the valid ones", async () => {
    const res = await postJson("/v1/emails", { to: "a@example.com", template: "x" }, VALID_KEY);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/^template: .*"welcome"/);
    expect(await fake("EMAIL").recordedCalls()).toEqual([]);
  });
});

describe("forwarding", () => {
  it("forwards MCP calls to the mcp worker without the caller's credentials", async () => {
    const rpc = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const res = await postJson("/v1/mcp", rpc, VALID_KEY);
    expect(await res.json()).toEqual({ echoedBy: "mcp", path: "/mcp", body: rpc });
    const [[, forwarded]] = (await fake("MCP").recordedCalls()) as [
      [string, { headers: Record<string, string> }],
    ];
    expect(forwarded.headers.authorization).toBeUndefined();
  });

  it("needs an API key for MCP", async () => {
    expect((await postJson("/v1/mcp", "{}")).status).toBe(401);
    expect(await fake("MCP").recordedCalls()).toEqual([]);
  });

  it("forwards webhooks without an API key, raw body and signature intact", async () => {
    const body = '{"id":"evt_1", "type":"push"}';
    const res = await request("/v1/webhooks/github", {
      method: "POST",
      headers: { "x-signature": "sha256=abc", "content-type": "application/json" },
      body,
    });
    expect(await res.json()).toEqual({ echoedBy: "webhooks", path: "/webhooks/github", body });
    const [[, forwarded]] = (await fake("WEBHOOKS").recordedCalls()) as [
      [string, { headers: Record<string, string> }],
    ];
    expect(forwarded.headers["x-signature"]).toBe("sha256=abc");
  });
});
