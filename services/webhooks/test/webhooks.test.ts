import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import WebhooksService from "../src/index";
import { REDELIVER_AFTER_MS } from "../src/redeliver";
import { fakeQueue } from "./fakes";
import { SECRETS } from "./secrets";
import { generic, github } from "./senders";

// Our own scheme's source; the other providers' schemes are in providers.test.ts.
const SOURCE = "generic";
const URL_GENERIC = `http://webhooks/webhooks/${SOURCE}`;
// The database lives as long as the file: each test stores events under ids of its own.
const uid = (prefix: string) => `${prefix}_${crypto.randomUUID()}`;
const eventWith = (id: string) => ({ id, type: "push", data: { ref: "main" } });
const event = eventWith("evt_1");

async function post(
  body: string,
  headers: Record<string, string> = {},
  url = URL_GENERIC,
): Promise<Response> {
  return exports.default.fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

async function postSigned(body: string, url = URL_GENERIC): Promise<Response> {
  return post(body, await generic(body, { secret: SECRETS.WEBHOOK_SECRET, id: "" }), url);
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
    expect(await res.json()).toEqual({
      received: true,
      source: SOURCE,
      id,
      type: "push",
      jobId: "job-1",
    });
    expect(await env.DB.getWebhookEvent(SOURCE, id)).toMatchObject({
      payload: eventWith(id),
      provider: "generic",
      eventType: "push",
      state: "enqueued",
      processedAt: null,
    });
    expect(await fakeQueue.recorded()).toEqual([processJob(SOURCE, id)]);
  });

  it("treats a replay of an enqueued event as a no-op", async () => {
    const id = uid("evt");
    await postSigned(JSON.stringify(eventWith(id)));
    const replay = await postSigned(JSON.stringify(eventWith(id)));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ duplicate: true, source: SOURCE, id });
    expect(await fakeQueue.recorded()).toHaveLength(1);
  });

  it("keeps the same event id from different sources apart", async () => {
    const id = uid("evt");
    await postSigned(JSON.stringify(eventWith(id)));
    const body = JSON.stringify({ zen: "Keep it logically awesome." });
    const headers = await github(body, { secret: SECRETS.GITHUB_WEBHOOK_SECRET, id });
    const res = await post(body, headers, "http://webhooks/webhooks/github");
    expect(res.status).toBe(202);
    expect((await env.DB.getWebhookEvent("github", id))?.state).toBe("enqueued");
    expect((await fakeQueue.recorded()).map((job) => job.payload)).toEqual([
      { source: SOURCE, id },
      { source: "github", id },
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
      message: `event ${SOURCE}/${id} is stored but its processing could not be queued; send it again`,
    });
    expect((await env.DB.getWebhookEvent(SOURCE, id))?.state).toBe("received");
    expect(await fakeQueue.recorded()).toEqual([]);

    await fakeQueue.failOn(null);
    const retried = await postSigned(JSON.stringify(eventWith(id)));
    expect(retried.status).toBe(202);
    expect(await retried.json()).toMatchObject({ received: true, id });
    expect((await env.DB.getWebhookEvent(SOURCE, id))?.state).toBe("enqueued");

    const again = await postSigned(JSON.stringify(eventWith(id)));
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(await fakeQueue.recorded()).toEqual([processJob(SOURCE, id)]);
  });
});

describe("the redelivery cron", () => {
  it("enqueues events stuck in received past the threshold, once", async () => {
    const [stuck, recent, enqueued] = [uid("stuck"), uid("recent"), uid("enqueued")];
    await fakeQueue.failOn("process_webhook");
    for (const id of [stuck, recent]) await postSigned(JSON.stringify(eventWith(id)));
    await fakeQueue.failOn(null);
    await postSigned(JSON.stringify(eventWith(enqueued)));
    for (const id of [stuck, enqueued]) await age(SOURCE, id, REDELIVER_AFTER_MS + 1_000);
    await age(SOURCE, recent, REDELIVER_AFTER_MS - 60_000);
    await fakeQueue.reset();

    expect(await runCron()).toBeUndefined();
    expect(await fakeQueue.recorded()).toEqual([processJob(SOURCE, stuck)]);
    expect((await env.DB.getWebhookEvent(SOURCE, stuck))?.state).toBe("enqueued");
    expect((await env.DB.getWebhookEvent(SOURCE, recent))?.state).toBe("received");

    expect(await runCron()).toBeUndefined();
    expect(await fakeQueue.recorded()).toHaveLength(1);
  });

  it("fails the run in one line while the queue is down, and the next run enqueues", async () => {
    const [first, second] = [uid("first"), uid("second")];
    await fakeQueue.failOn("process_webhook");
    for (const id of [first, second]) {
      await postSigned(JSON.stringify(eventWith(id)));
      await age(SOURCE, id, REDELIVER_AFTER_MS + (id === first ? 2_000 : 1_000));
    }
    const error = await runCron();
    expect(error?.message).toBe(
      `webhook redelivery: enqueued 0 stuck event(s), then could not queue ${SOURCE}/${first} (queue unavailable for process_webhook); it and 1 more wait for the next run`,
    );
    expect((await env.DB.getWebhookEvent(SOURCE, first))?.state).toBe("received");

    await fakeQueue.failOn(null);
    expect(await runCron()).toBeUndefined();
    expect(await fakeQueue.recorded()).toEqual([
      processJob(SOURCE, first),
      processJob(SOURCE, second),
    ]);
  });
});

describe("our own scheme's signature check", () => {
  const body = JSON.stringify(event);
  const signed = (options: { secret?: string; signedAt?: Date } = {}) =>
    generic(body, { secret: SECRETS.WEBHOOK_SECRET, id: "", ...options });

  it("rejects a missing signature with 401 and stores nothing", async () => {
    const res = await expectNothingChanged(() => post(body));
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toEqual({
      code: "invalid_signature",
      message: expect.stringMatching(/^x-signature is missing or malformed; x-signature must be /),
    });
  });

  it("rejects a signature made with another secret", async () => {
    const headers = await signed({ secret: "not-the-secret" });
    const res = await expectNothingChanged(() => post(body, headers));
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toMatch(/^x-signature matches none of the source's/);
  });

  it("rejects a signature of a different body", async () => {
    const headers = await signed();
    const forged = JSON.stringify({ ...event, id: "evt_forged" });
    const res = await expectNothingChanged(() => post(forged, headers));
    expect(res.status).toBe(401);
  });

  it("rejects a signature whose timestamp was changed to look fresh", async () => {
    const headers = await signed({ signedAt: new Date(Date.now() - 60_000) });
    const fresh = String(Math.floor(Date.now() / 1000));
    const res = await expectNothingChanged(() =>
      post(body, { ...headers, "x-signature-timestamp": fresh }),
    );
    expect(res.status).toBe(401);
  });

  it("rejects a delivery signed before the tolerance, as a replay", async () => {
    const headers = await signed({ signedAt: new Date(Date.now() - 301_000) });
    const res = await expectNothingChanged(() => post(body, headers));
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toMatch(
      /^x-signature-timestamp is outside the 300 s tolerance/,
    );
  });

  it.each([
    ["a malformed signature", { "x-signature": "md5=abc" }],
    ["a missing timestamp", { "x-signature-timestamp": "" }],
  ])("rejects %s", async (_case, change) => {
    const headers = { ...(await signed()), ...change };
    const res = await expectNothingChanged(() => post(body, headers));
    expect(res.status).toBe(401);
  });

  it("refuses to verify anything when the source's secret is not configured", async () => {
    const unconfigured = { ...env, WEBHOOK_SECRET: "" };
    const service = new WebhooksService(createExecutionContext(), unconfigured);
    const headers = await signed({ secret: "any-key" });
    const res = await expectNothingChanged(() =>
      service.fetch(new Request(URL_GENERIC, { method: "POST", body, headers })),
    );
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({
      code: "not_configured",
      message: "WEBHOOK_SECRET is not set for this worker (source generic)",
    });
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
    expect(error.message).toMatch(/^body\.type: .*; body\.data: /);
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

  it("answers a source that is not configured with 404 naming the configured ones", async () => {
    const res = await expectNothingChanged(() =>
      postSigned(JSON.stringify(event), "http://webhooks/webhooks/gitlab"),
    );
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      code: "unknown_source",
      message: 'no webhook source "gitlab"; configured: github, stripe, standard, generic',
    });
  });

  it("rejects a body that is not UTF-8 before checking anything else", async () => {
    const res = await expectNothingChanged(() =>
      exports.default.fetch(URL_GENERIC, { method: "POST", body: new Uint8Array([0x7b, 0xff]) }),
    );
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("invalid_body");
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
      service.fetch(new Request(URL_GENERIC, { method: "POST", body: stream })),
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
    const res = await exports.default.fetch(URL_GENERIC);
    expect(res.status).toBe(405);
    expect((await errorOf(res)).message).toContain("POST /webhooks/:source");
  });

  it("answers an unknown route with a JSON 404", async () => {
    const res = await exports.default.fetch("http://webhooks/hooks", { method: "POST" });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });
});
