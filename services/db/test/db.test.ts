import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { health } from "../src/health";

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
  it("stores an event once; a replay is a no-op", async () => {
    const id = uid("evt");
    expect(await db.recordWebhookEvent({ id, source: "github", payload: { a: 1 } })).toEqual({
      inserted: true,
    });
    expect(await db.recordWebhookEvent({ id, source: "github", payload: { a: 2 } })).toEqual({
      inserted: false,
    });
    expect(await db.getWebhookEvent("github", id)).toMatchObject({
      payload: { a: 1 },
      processedAt: null,
    });
    expect(await db.recordWebhookEvent({ id, source: "stripe", payload: {} })).toEqual({
      inserted: true,
    });
  });

  it("marks processed once and keeps the first time", async () => {
    const id = uid("evt");
    await db.recordWebhookEvent({ id, source: "github", payload: {} });
    expect(await db.markWebhookEventProcessed("github", id)).toEqual({ processed: true });
    const first = (await db.getWebhookEvent("github", id))?.processedAt;
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await db.markWebhookEventProcessed("github", id)).toEqual({ processed: true });
    expect((await db.getWebhookEvent("github", id))?.processedAt).toBe(first);
    expect(await db.markWebhookEventProcessed("github", uid("missing"))).toEqual({
      processed: false,
    });
    expect(await db.getWebhookEvent("github", uid("missing"))).toBeNull();
  });

  it("rejects an empty source", async () => {
    const error = await rejection(db.getWebhookEvent("", "x"));
    expect(error.message).toMatch(/^invalid input: source: /);
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
