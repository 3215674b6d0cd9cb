import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import WebhooksService from "../src/index";
import { REDELIVER_AFTER_MS } from "../src/redeliver";
import { fakeQueue } from "./fakes";
import { sign } from "./sign";

const SECRET = "test-webhook-secret";
const URL_GITHUB = "http://webhooks/webhooks/github";
// The database lives as long as the file: each test stores events under ids of its own.
const uid = (prefix: string) => `${prefix}_${crypto.randomUUID()}`;
const eventWith = (id: string) => ({ id, type: "push", data: { ref: "main" } });
const event = eventWith("evt_1");

async function post(body: string, signature?: string, url = URL_GITHUB): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== undefined) headers["x-signature"] = signature;
  return exports.default.fetch(url, { method: "POST", headers, body });
}

async function postSigned(body: string, url = URL_GITHUB): Promise<Response> {
  return post(body, await sign(SECRET, body), url);
}

const countEvents = async () =>
  env.TEST_DB.prepare("SELECT COUNT(*) AS n FROM webhook_events").first<number>("n");

/** Runs `request` and checks it stored and enqueued nothing. */
async function expectNothingChanged(request: () => Promise<Response>): Promise<Response> {
  const before = await countEvents();
  const response = await request();
  expect(await countEvents()).toBe(before);
  expect(await fakeQueue.recorded()).toEqual([]);
  return response;
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return (await res.json<{ error: { code: string; message: string } }>()).error;
}

/** Pretends the event arrived `ms` ago. */
async function age(source: string, id: string, ms: number): Promise<void> {
  const receivedAt = new Date(Date.now() - ms).toISOString();
  await env.TEST_DB.prepare("UPDATE webhook_events SET received_at = ? WHERE source = ? AND id = ?")
    .bind(receivedAt, source, id)
    .run();
}

/** Fires the worker's cron; resolves with the error it failed with, if any. */
async function runCron(): Promise<Error | undefined> {
  return new WebhooksService(createExecutionContext(), env).scheduled().then(
    () => undefined,
    (error: Error) => error,
  );
}

const processJob = (source: string, id: string) => ({
  type: "process_webhook",
  payload: { source, id },
});

beforeEach(async () => {
  await fakeQueue.reset();
});

describe("signed events", () => {
  it("stores the event once and enqueues its processing", async () => {
    const id = uid("evt");
    const res = await postSigned(JSON.stringify(eventWith(id)));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ received: true, source: "github", id, jobId: "job-1" });
    expect(await env.DB.getWebhookEvent("github", id)).toMatchObject({
      payload: eventWith(id),
      state: "enqueued",
      processedAt: null,
    });
    expect(await fakeQueue.recorded()).toEqual([processJob("github", id)]);
  });

  it("treats a replay of an enqueued event as a no-op", async () => {
    const id = uid("evt");
    await postSigned(JSON.stringify(eventWith(id)));
    const replay = await postSigned(JSON.stringify(eventWith(id)));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ duplicate: true, source: "github", id });
    expect(await fakeQueue.recorded()).toHaveLength(1);
  });

  it("keeps the same event id from different sources apart", async () => {
    const id = uid("evt");
    await postSigned(JSON.stringify(eventWith(id)));
    const res = await postSigned(JSON.stringify(eventWith(id)), "http://webhooks/webhooks/stripe");
    expect(res.status).toBe(202);
    expect((await env.DB.getWebhookEvent("stripe", id))?.state).toBe("enqueued");
    expect((await fakeQueue.recorded()).map((job) => job.payload)).toEqual([
      { source: "github", id },
      { source: "stripe", id },
    ]);
  });
});

describe("when the queue fails", () => {
  it("keeps the event, answers 503, and the sender's retry enqueues it", async () => {
    const id = uid("evt");
    await fakeQueue.failOn("process_webhook");
    const failed = await postSigned(JSON.stringify(eventWith(id)));
    expect(failed.status).toBe(503);
    expect(await errorOf(failed)).toEqual({
      code: "enqueue_failed",
      message: `event github/${id} is stored but its processing could not be queued; send it again`,
    });
    expect((await env.DB.getWebhookEvent("github", id))?.state).toBe("received");
    expect(await fakeQueue.recorded()).toEqual([]);

    await fakeQueue.failOn(null);
    const retried = await postSigned(JSON.stringify(eventWith(id)));
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ received: true, id });
    expect((await env.DB.getWebhookEvent("github", id))?.state).toBe("enqueued");

    const again = await postSigned(JSON.stringify(eventWith(id)));
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(await fakeQueue.recorded()).toEqual([processJob("github", id)]);
  });
});

describe("the redelivery cron", () => {
  it("enqueues events stuck in received past the threshold, once", async () => {
    const source = uid("src").slice(0, 60);
    const url = `http://webhooks/webhooks/${source}`;
    await fakeQueue.failOn("process_webhook");
    for (const id of ["stuck", "recent"]) await postSigned(JSON.stringify(eventWith(id)), url);
    await fakeQueue.failOn(null);
    await postSigned(JSON.stringify(eventWith("enqueued")), url);
    for (const id of ["stuck", "enqueued"]) await age(source, id, REDELIVER_AFTER_MS + 1_000);
    await age(source, "recent", REDELIVER_AFTER_MS - 60_000);
    await fakeQueue.reset();

    expect(await runCron()).toBeUndefined();
    expect(await fakeQueue.recorded()).toEqual([processJob(source, "stuck")]);
    expect((await env.DB.getWebhookEvent(source, "stuck"))?.state).toBe("enqueued");
    expect((await env.DB.getWebhookEvent(source, "recent"))?.state).toBe("received");

    expect(await runCron()).toBeUndefined();
    expect(await fakeQueue.recorded()).toHaveLength(1);
  });

  it("fails the run in one line while the queue is down, and the next run enqueues", async () => {
    const source = uid("src").slice(0, 60);
    const url = `http://webhooks/webhooks/${source}`;
    await fakeQueue.failOn("process_webhook");
    for (const id of ["first", "second"]) {
      await postSigned(JSON.stringify(eventWith(id)), url);
      await age(source, id, REDELIVER_AFTER_MS + (id === "first" ? 2_000 : 1_000));
    }
    const error = await runCron();
    expect(error?.message).toBe(
      `webhook redelivery: enqueued 0 stuck event(s), then could not queue ${source}/first (queue unavailable for process_webhook); it and 1 more wait for the next run`,
    );
    expect((await env.DB.getWebhookEvent(source, "first"))?.state).toBe("received");

    await fakeQueue.failOn(null);
    expect(await runCron()).toBeUndefined();
    expect(await fakeQueue.recorded()).toEqual([
      processJob(source, "first"),
      processJob(source, "second"),
    ]);
  });
});

describe("signature check", () => {
  it("rejects a missing signature with 401 and stores nothing", async () => {
    const res = await expectNothingChanged(() => post(JSON.stringify(event)));
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_signature");
  });

  it("rejects a signature made with another secret", async () => {
    const body = JSON.stringify(event);
    const signature = await sign("not-the-secret", body);
    const res = await expectNothingChanged(() => post(body, signature));
    expect(res.status).toBe(401);
  });

  it("rejects a signature of a different body", async () => {
    const signature = await sign(SECRET, JSON.stringify(event));
    const forged = JSON.stringify({ ...event, id: "evt_forged" });
    const res = await expectNothingChanged(() => post(forged, signature));
    expect(res.status).toBe(401);
  });

  it("rejects a malformed signature header", async () => {
    const res = await expectNothingChanged(() => post(JSON.stringify(event), "md5=abc"));
    expect(res.status).toBe(401);
  });

  it("refuses to verify anything when the secret is not configured", async () => {
    const service = new WebhooksService(createExecutionContext(), { ...env, WEBHOOK_SECRET: "" });
    const body = JSON.stringify(event);
    const headers = { "x-signature": await sign("any-key", body) };
    const res = await expectNothingChanged(() =>
      service.fetch(new Request(URL_GITHUB, { method: "POST", body, headers })),
    );
    expect(res.status).toBe(500);
    expect((await errorOf(res)).code).toBe("not_configured");
  });
});

describe("bad input", () => {
  it("rejects malformed JSON with 400", async () => {
    const res = await expectNothingChanged(() => postSigned("{not json"));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: "invalid_json", message: "body is not valid JSON" });
  });

  it("names each missing field", async () => {
    const res = await expectNothingChanged(() => postSigned(JSON.stringify({ id: "evt_2" })));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("invalid_event");
    expect(error.message).toMatch(/type: .*; data: /);
  });

  it("rejects a source outside the allowed characters", async () => {
    const res = await expectNothingChanged(() =>
      postSigned(JSON.stringify(event), "http://webhooks/webhooks/Git%20Hub"),
    );
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: "invalid_source",
      message: `source "Git%20Hub" must be 1-64 of a-z, 0-9, '-', '_' (starting alphanumeric)`,
    });
  });

  it("rejects a body whose declared length is over the limit with 413", async () => {
    const body = JSON.stringify({ ...event, data: { blob: "x".repeat(70_000) } });
    const res = await expectNothingChanged(() => postSigned(body));
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
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
    const res = await expectNothingChanged(() =>
      service.fetch(new Request(URL_GITHUB, { method: "POST", body: stream })),
    );
    expect(res.status).toBe(413);
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
