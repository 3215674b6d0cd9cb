import { applyD1Migrations } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { health } from "../src/health";
import * as webhookEvents from "../src/webhook-events";

const db = exports.default;
const uid = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;
const hashOf = async (text: string) =>
  Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number; message: string }> {
  const error = await promise.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
  return error as { code: string; status: number; message: string };
}

describe("health", () => {
  it("answers with a real query", async () => {
    const res = await db.fetch("http://db/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service: "db", version: env.VERSION?.id, status: "ok" });
    expect(env.VERSION?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports degraded when the query fails", async () => {
    const res = await health({ DB: env.UNMIGRATED_DB });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "degraded" });
  });

  it("answers unknown routes and methods with JSON errors", async () => {
    const missing = await db.fetch("http://db/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "no route for /nope" },
    });
    const post = await db.fetch("http://db/health", { method: "POST" });
    expect(post.status).toBe(405);
    expect(await post.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });
});

describe("api keys", () => {
  it("stores a key and finds it by hash only", async () => {
    const hash = await hashOf(uid("secret"));
    const id = uid("key");
    const stored = await db.insertApiKey({ id, name: "ci", prefix: "wk_abc", hash });
    expect(stored).toMatchObject({ id, name: "ci", prefix: "wk_abc", hash });
    expect(await db.findApiKeyByHash(hash)).toMatchObject({ id, name: "ci" });
    expect(await db.findApiKeyByHash(await hashOf("unknown"))).toBeNull();
  });

  it("rejects a duplicate hash with 409", async () => {
    const hash = await hashOf(uid("dup"));
    await db.insertApiKey({ id: uid("key"), name: "a", prefix: "p", hash });
    const error = await rejection(
      db.insertApiKey({ id: uid("key"), name: "b", prefix: "p", hash }),
    );
    expect(error).toMatchObject({ code: "conflict", status: 409 });
  });

  it("rejects a hash that is not a SHA-256 hex digest", async () => {
    const error = await rejection(db.findApiKeyByHash("not-a-hash"));
    expect(error).toMatchObject({ code: "invalid_input", status: 400 });
    expect(error.message).toContain("must be a hex SHA-256 digest");
  });
});

describe("jobs", () => {
  it("creates a queued job and reads it back", async () => {
    const id = uid("job");
    const job = await db.createJob({ id, type: "noop", payload: { n: 1 } });
    expect(job).toMatchObject({
      id,
      type: "noop",
      payload: { n: 1 },
      status: "queued",
      attempts: 0,
    });
    expect(job.result).toBeNull();
    expect(await db.getJob(id)).toEqual(job);
    expect(await db.getJob(uid("missing"))).toBeNull();
  });

  it("updates only the given fields and clears with null", async () => {
    const id = uid("job");
    await db.createJob({ id, type: "noop", payload: null });
    const failed = await db.updateJob(id, { status: "failed", attempts: 1, error: "boom" });
    expect(failed).toMatchObject({ status: "failed", attempts: 1, error: "boom", result: null });
    const done = await db.updateJob(id, { status: "completed", result: { ok: true }, error: null });
    expect(done).toMatchObject({
      status: "completed",
      attempts: 1,
      error: null,
      result: { ok: true },
    });
    const cleared = await db.updateJob(id, { status: "completed", result: null });
    expect(cleared?.result).toBeNull();
    expect(await db.updateJob(uid("missing"), { status: "running" })).toBeNull();
  });

  it("rejects an unknown status naming the valid ones, and changes nothing", async () => {
    const id = uid("job");
    await db.createJob({ id, type: "noop", payload: {} });
    const error = await rejection(db.updateJob(id, { status: "done" as "completed" }));
    expect(error).toMatchObject({ code: "invalid_input", status: 400 });
    expect(error.message).toContain('"queued"|"running"|"completed"|"failed"');
    expect((await db.getJob(id))?.status).toBe("queued");
  });

  it("rejects missing fields, duplicates and oversized payloads", async () => {
    const missing = await rejection(db.createJob({ id: uid("job") } as never));
    expect(missing.message).toMatch(/^invalid input: type: /);
    const id = uid("job");
    await db.createJob({ id, type: "noop", payload: {} });
    expect(await rejection(db.createJob({ id, type: "noop", payload: {} }))).toMatchObject({
      status: 409,
    });
    const bigId = uid("job");
    const big = await rejection(
      db.createJob({ id: bigId, type: "noop", payload: "x".repeat(70_000) }),
    );
    expect(big.message).toContain("payload: must serialize to at most 65536 bytes");
    expect(await db.getJob(bigId)).toBeNull();
  });
});

describe("webhook events", () => {
  it("stores an event once; a replay is a no-op that reports the stored state", async () => {
    const id = uid("evt");
    expect(await db.recordWebhookEvent({ id, source: "github", payload: { a: 1 } })).toEqual({
      inserted: true,
      state: "received",
    });
    expect(await db.recordWebhookEvent({ id, source: "github", payload: { a: 2 } })).toEqual({
      inserted: false,
      state: "received",
    });
    expect(await db.getWebhookEvent("github", id)).toMatchObject({
      payload: { a: 1 },
      state: "received",
      processedAt: null,
    });
    await db.markWebhookEventEnqueued("github", id);
    expect(await db.recordWebhookEvent({ id, source: "github", payload: {} })).toEqual({
      inserted: false,
      state: "enqueued",
    });
    await db.markWebhookEventProcessed("github", id);
    expect(await db.recordWebhookEvent({ id, source: "github", payload: {} })).toEqual({
      inserted: false,
      state: "processed",
    });
    expect(await db.recordWebhookEvent({ id, source: "stripe", payload: {} })).toEqual({
      inserted: true,
      state: "received",
    });
  });

  it("marks processed exactly once and keeps the first time", async () => {
    const id = uid("evt");
    await db.recordWebhookEvent({ id, source: "github", payload: {} });
    await db.markWebhookEventEnqueued("github", id);
    expect(await db.markWebhookEventProcessed("github", id)).toEqual({
      processed: true,
      alreadyProcessed: false,
    });
    const first = await db.getWebhookEvent("github", id);
    expect(first).toMatchObject({
      state: "processed",
      processedAt: expect.stringMatching(/^\d{4}-/),
    });
    expect(await db.markWebhookEventProcessed("github", id)).toEqual({
      processed: true,
      alreadyProcessed: true,
    });
    expect((await db.getWebhookEvent("github", id))?.processedAt).toBe(first?.processedAt);
    expect(await db.markWebhookEventProcessed("github", uid("missing"))).toEqual({
      processed: false,
      alreadyProcessed: false,
    });
    expect(await db.getWebhookEvent("github", uid("missing"))).toBeNull();
  });

  it("lets only one of several simultaneous jobs process an event", async () => {
    const id = uid("evt");
    await db.recordWebhookEvent({ id, source: "github", payload: {} });
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => db.markWebhookEventProcessed("github", id)),
    );
    expect(outcomes.filter((outcome) => !outcome.alreadyProcessed)).toHaveLength(1);
  });

  it("never moves a processed event back to enqueued", async () => {
    const id = uid("evt");
    await db.recordWebhookEvent({ id, source: "github", payload: {} });
    // The consumer can finish before the producer records the enqueue.
    await db.markWebhookEventProcessed("github", id);
    await db.markWebhookEventEnqueued("github", id);
    expect((await db.getWebhookEvent("github", id))?.state).toBe("processed");
  });

  it("lists events still received before a time, oldest first, up to a limit", async () => {
    const source = uid("src").slice(0, 60);
    const age = async (id: string, receivedAt: string) =>
      env.DB.prepare("UPDATE webhook_events SET received_at = ? WHERE source = ? AND id = ?")
        .bind(receivedAt, source, id)
        .run();
    for (const [id, receivedAt] of [
      ["old-b", "2000-01-02T00:00:00.000Z"],
      ["old-a", "2000-01-01T00:00:00.000Z"],
      ["old-c", "2000-01-03T00:00:00.000Z"],
      ["old-enqueued", "2000-01-01T00:00:00.000Z"],
      ["old-processed", "2000-01-01T00:00:00.000Z"],
    ] as const) {
      await db.recordWebhookEvent({ id, source, payload: {} });
      await age(id, receivedAt);
    }
    await db.recordWebhookEvent({ id: "recent", source, payload: {} });
    await db.markWebhookEventEnqueued(source, "old-enqueued");
    await db.markWebhookEventProcessed(source, "old-processed");
    const stuck = async (limit?: number) =>
      (await db.listStuckWebhookEvents({ receivedBefore: "2001-01-01T00:00:00.000Z", limit }))
        .filter((event) => event.source === source)
        .map((event) => event.id);
    expect(await stuck()).toEqual(["old-a", "old-b", "old-c"]);
    expect(await stuck(2)).toEqual(["old-a", "old-b"]);
  });

  it.each([
    [{ receivedBefore: "yesterday" }, /^invalid input: receivedBefore: /],
    [{ receivedBefore: "2001-01-01T00:00:00.000Z", limit: 0 }, /^invalid input: limit: /],
  ])("rejects the stuck-event query %o", async (query, message) => {
    expect((await rejection(db.listStuckWebhookEvents(query))).message).toMatch(message);
  });

  it("rejects an empty source", async () => {
    const error = await rejection(db.getWebhookEvent("", "x"));
    expect(error.message).toMatch(/^invalid input: source: /);
    expect((await rejection(db.markWebhookEventEnqueued("", "x"))).status).toBe(400);
  });
});

describe("webhook events from providers", () => {
  it("stores the delivery byte for byte with its provider and event type", async () => {
    const id = uid("delivery");
    const rawPayload = '{ "action": "opened",\n  "number": 7 }';
    expect(
      await db.recordWebhookEvent({
        id,
        source: "github",
        rawPayload,
        provider: "github",
        eventType: "pull_request",
      }),
    ).toEqual({ inserted: true, state: "received" });
    const stored = await env.DB.prepare("SELECT payload FROM webhook_events WHERE id = ?")
      .bind(id)
      .first<string>("payload");
    expect(stored).toBe(rawPayload);
    expect(await db.getWebhookEvent("github", id)).toMatchObject({
      payload: { action: "opened", number: 7 },
      provider: "github",
      eventType: "pull_request",
    });
  });

  it("reads an event stored without a provider (an older version's) with nulls", async () => {
    const id = uid("evt");
    await db.recordWebhookEvent({ id, source: "generic", payload: { type: "push" } });
    expect(await db.getWebhookEvent("generic", id)).toMatchObject({
      provider: null,
      eventType: null,
    });
  });

  it.each([
    ["neither payload nor rawPayload", {}],
    ["both", { payload: {}, rawPayload: "{}" }],
  ])("refuses %s", async (_case, body) => {
    const error = await rejection(db.recordWebhookEvent({ id: uid("evt"), source: "x", ...body }));
    expect(error.message).toBe(
      "invalid input: payload: exactly one of payload and rawPayload is required",
    );
  });

  it("refuses a rawPayload that is not JSON, and an unknown provider", async () => {
    const error = await rejection(
      db.recordWebhookEvent({
        id: uid("evt"),
        source: "x",
        rawPayload: "{nope",
        provider: "gitlab" as "github",
      }),
    );
    expect(error.message).toMatch(/rawPayload: must be a JSON document; provider: /);
  });
});

describe("migration 0003 (webhook event state) on a database that already has events", () => {
  const before = env.TEST_MIGRATIONS.filter((m) => m.name < "0003");
  const since = env.TEST_MIGRATIONS.filter((m) => m.name >= "0003");

  it("marks processed events processed and leaves the others to be redelivered", async () => {
    const old = env.UPGRADED_DB;
    await applyD1Migrations(old, before);
    // What the versions before the migration write.
    await old.batch([
      old.prepare("INSERT INTO webhook_events (source, id, payload) VALUES ('gh', 'done', '{}')"),
      old.prepare("INSERT INTO webhook_events (source, id, payload) VALUES ('gh', 'lost', '{}')"),
      old.prepare(
        "UPDATE webhook_events SET processed_at = '2026-01-01T00:00:00.000Z' WHERE id = 'done'",
      ),
    ]);
    await applyD1Migrations(old, since);
    expect((await webhookEvents.getWebhookEvent(old, "gh", "done"))?.state).toBe("processed");
    expect((await webhookEvents.getWebhookEvent(old, "gh", "lost"))?.state).toBe("received");

    // A rolled-back db version still runs its statements against the new schema.
    await old
      .prepare("INSERT INTO webhook_events (source, id, payload) VALUES ('gh', 'rolled', '{}')")
      .run();
    await old
      .prepare(
        "UPDATE webhook_events SET processed_at = COALESCE(processed_at, '2026-02-01T00:00:00.000Z') WHERE source = 'gh' AND id = 'rolled'",
      )
      .run();
    const rolled = await webhookEvents.getWebhookEvent(old, "gh", "rolled");
    expect(rolled).toMatchObject({ state: "processed", processedAt: "2026-02-01T00:00:00.000Z" });
    expect(
      await webhookEvents.listStuckWebhookEvents(old, {
        receivedBefore: "2999-01-01T00:00:00.000Z",
        limit: 10,
      }),
    ).toEqual([{ source: "gh", id: "lost" }]);
  });
});

describe("outbox", () => {
  it("records an email, marks it sent and lists newest first", async () => {
    const to = `${uid("u")}@example.com`;
    const first = await db.insertOutboxEmail({
      id: uid("m"),
      to,
      template: "welcome",
      subject: "Hi",
      body: "Hello",
    });
    expect(first).toMatchObject({ to, status: "pending", providerMessageId: null, sentAt: null });
    const second = await db.insertOutboxEmail({
      id: uid("m"),
      to,
      template: "welcome",
      subject: "Again",
      body: "",
    });
    const sent = await db.markEmailSent(first.id, "provider-1");
    expect(sent).toMatchObject({ status: "sent", providerMessageId: "provider-1" });
    expect(sent?.sentAt).not.toBeNull();
    expect((await db.listOutbox({ to })).map((m) => m.id)).toEqual([second.id, first.id]);
    expect(await db.listOutbox({ to, limit: 1 })).toHaveLength(1);
    expect((await db.listOutbox()).length).toBeGreaterThanOrEqual(2);
    expect(await db.markEmailSent(uid("missing"), "provider-2")).toBeNull();
    expect(await db.getOutboxEmail(first.id)).toEqual(sent);
    expect(await db.getOutboxEmail(uid("missing"))).toBeNull();
  });

  it("rejects a bad address and a limit out of range", async () => {
    const badTo = await rejection(
      db.insertOutboxEmail({ id: uid("m"), to: "nobody", template: "t", subject: "s", body: "b" }),
    );
    expect(badTo.message).toMatch(/^invalid input: to: /);
    const badLimit = await rejection(db.listOutbox({ limit: 1000 }));
    expect(badLimit.message).toMatch(/^invalid input: limit: /);
  });
});
