import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import WebhooksService from "../src/index";
import { fakeDb, fakeQueue } from "./fakes";
import { sign } from "./sign";

const SECRET = "test-webhook-secret";
const URL_GITHUB = "http://webhooks/webhooks/github";
const event = { id: "evt_1", type: "push", data: { ref: "main" } };

async function post(body: string, signature?: string, url = URL_GITHUB): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== undefined) headers["x-signature"] = signature;
  return exports.default.fetch(url, { method: "POST", headers, body });
}

async function postSigned(body: string, url = URL_GITHUB): Promise<Response> {
  return post(body, await sign(SECRET, body), url);
}

async function expectNothingChanged(): Promise<void> {
  expect(await fakeDb.storedEvents()).toEqual([]);
  expect(await fakeQueue.recorded()).toEqual([]);
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return (await res.json<{ error: { code: string; message: string } }>()).error;
}

beforeEach(async () => {
  await fakeDb.reset();
  await fakeQueue.reset();
});

describe("signed events", () => {
  it("stores the event once and enqueues its processing", async () => {
    const res = await postSigned(JSON.stringify(event));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      received: true,
      source: "github",
      id: "evt_1",
      jobId: "job-1",
    });
    expect(await fakeDb.storedEvents()).toEqual([
      { id: "evt_1", source: "github", payload: event },
    ]);
    expect(await fakeQueue.recorded()).toEqual([
      { type: "process_webhook", payload: { source: "github", id: "evt_1" } },
    ]);
  });

  it("treats a replayed event id as a no-op", async () => {
    await postSigned(JSON.stringify(event));
    const replay = await postSigned(JSON.stringify(event));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ duplicate: true, source: "github", id: "evt_1" });
    expect(await fakeDb.storedEvents()).toHaveLength(1);
    expect(await fakeQueue.recorded()).toHaveLength(1);
  });

  it("keeps the same event id from different sources apart", async () => {
    await postSigned(JSON.stringify(event));
    const res = await postSigned(JSON.stringify(event), "http://webhooks/webhooks/stripe");
    expect(res.status).toBe(202);
    expect((await fakeDb.storedEvents()).map((e) => e.source)).toEqual(["github", "stripe"]);
  });
});

describe("signature check", () => {
  it("rejects a missing signature with 401 and stores nothing", async () => {
    const res = await post(JSON.stringify(event));
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_signature");
    await expectNothingChanged();
  });

  it("rejects a signature made with another secret", async () => {
    const body = JSON.stringify(event);
    const res = await post(body, await sign("not-the-secret", body));
    expect(res.status).toBe(401);
    await expectNothingChanged();
  });

  it("rejects a signature of a different body", async () => {
    const signature = await sign(SECRET, JSON.stringify(event));
    const res = await post(JSON.stringify({ ...event, id: "evt_forged" }), signature);
    expect(res.status).toBe(401);
    await expectNothingChanged();
  });

  it("rejects a malformed signature header", async () => {
    const res = await post(JSON.stringify(event), "md5=abc");
    expect(res.status).toBe(401);
    await expectNothingChanged();
  });

  it("refuses to verify anything when the secret is not configured", async () => {
    const service = new WebhooksService(createExecutionContext(), { ...env, WEBHOOK_SECRET: "" });
    const body = JSON.stringify(event);
    const res = await service.fetch(
      new Request(URL_GITHUB, {
        method: "POST",
        body,
        headers: { "x-signature": await sign("any-key", body) },
      }),
    );
    expect(res.status).toBe(500);
    expect((await errorOf(res)).code).toBe("not_configured");
    await expectNothingChanged();
  });
});

describe("bad input", () => {
  it("rejects malformed JSON with 400", async () => {
    const res = await postSigned("{not json");
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: "invalid_json", message: "body is not valid JSON" });
    await expectNothingChanged();
  });

  it("names each missing field", async () => {
    const res = await postSigned(JSON.stringify({ id: "evt_2" }));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_event");
    expect(error.message).toMatch(/type: .*; data: /);
    await expectNothingChanged();
  });

  it("rejects a source outside the allowed characters", async () => {
    const res = await postSigned(JSON.stringify(event), "http://webhooks/webhooks/Git%20Hub");
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: "invalid_source",
      message: `source "Git%20Hub" must be 1-64 of a-z, 0-9, '-', '_' (starting alphanumeric)`,
    });
    await expectNothingChanged();
  });

  it("rejects a body whose declared length is over the limit with 413", async () => {
    const body = JSON.stringify({ ...event, data: { blob: "x".repeat(70_000) } });
    const res = await postSigned(body);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
    await expectNothingChanged();
  });

  it("rejects a streamed body with no length once it grows over the limit", async () => {
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const service = new WebhooksService(createExecutionContext(), env);
    const res = await service.fetch(new Request(URL_GITHUB, { method: "POST", body: stream }));
    expect(res.status).toBe(413);
    await expectNothingChanged();
  });
});

describe("routing", () => {
  it("answers GET /health", async () => {
    const res = await exports.default.fetch("http://webhooks/health");
    expect(await res.json()).toEqual({
      service: "webhooks",
      version: env.VERSION?.id,
      status: "ok",
    });
  });

  it("answers a wrong method with a JSON 405", async () => {
    const res = await exports.default.fetch(URL_GITHUB);
    expect(res.status).toBe(405);
    expect((await errorOf(res)).message).toContain("POST /webhooks/:source");
  });

  it("answers an unknown route with a JSON 404", async () => {
    const res = await exports.default.fetch("http://webhooks/hooks", { method: "POST" });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });
});
