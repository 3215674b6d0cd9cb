import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countJobs, rejection, settled } from "./helpers";

const queue = exports.default;

describe("enqueue through the real queue and consumer", () => {
  it("runs a noop job to completion", async () => {
    const { id } = await queue.enqueue({ type: "noop", payload: { task: "heartbeat" } });
    const job = await settled(id, "completed");
    expect(job).toMatchObject({
      type: "noop",
      payload: { task: "heartbeat" },
      result: null,
      error: null,
    });
  });

  it("sends an email through the email worker into the outbox", async () => {
    const to = `queue-${crypto.randomUUID()}@example.com`;
    const { id } = await queue.enqueue({
      type: "send_email",
      payload: { to, template: "welcome", data: { name: "Lin" } },
    });
    const job = await settled(id, "completed");
    const [outbox] = await env.DB.listOutbox({ to });
    expect(job?.result).toEqual({ emailId: id, status: "sent" });
    expect(outbox?.id).toBe(id);
    expect(outbox).toMatchObject({ subject: "Welcome, Lin!", status: "sent" });
  });

  it("marks a stored webhook event processed", async () => {
    const eventId = crypto.randomUUID();
    await env.DB.recordWebhookEvent({ id: eventId, source: "github", payload: { action: "push" } });
    const { id } = await queue.enqueue({
      type: "process_webhook",
      payload: { source: "github", id: eventId },
    });
    expect((await settled(id, "completed"))?.result).toEqual({
      source: "github",
      id: eventId,
      processed: true,
      alreadyProcessed: false,
    });
    expect(await env.DB.getWebhookEvent("github", eventId)).toMatchObject({
      state: "processed",
      processedAt: expect.any(String),
    });
  });

  it("retries a failing job max_retries times, then dead-letters it", async () => {
    const { id } = await queue.enqueue({
      type: "process_webhook",
      payload: { source: "github", id: "never-stored" },
    });
    const job = await settled(id, "failed", 4);
    expect(job?.error).toBe("webhook event github/never-stored not found");
    await expect
      .poll(async () => (await env.DEAD_LETTERS.fetch("http://dlq/")).json(), {
        timeout: 15_000,
        interval: 100,
      })
      .toContainEqual({ queue: "jobs-dlq", body: { id } });
  });
});

describe("bad input is refused and nothing is queued", () => {
  it.each([
    [
      { type: "reboot", payload: {} },
      'type: Invalid option: expected one of "send_email"|"process_webhook"|"noop"',
    ],
    [{ payload: {} }, "type: Invalid option"],
    [{ type: "process_webhook", payload: { source: "github" } }, "payload.id: "],
    [{ type: "send_email", payload: { to: "nobody", template: "welcome" } }, "payload.to: "],
    [
      { type: "send_email", payload: { to: "a@example.com", template: "invoice" } },
      "payload.template: ",
    ],
    [
      { type: "send_email", payload: { to: "a@example.com", template: "job-completed" } },
      "payload.data.jobId: ",
    ],
  ])("rejects %o", async (input, message) => {
    const before = await countJobs();
    const error = await rejection(queue.enqueue(input as never));
    expect(error).toMatchObject({ code: "invalid_input", status: 400 });
    expect(error.message).toContain(message);
    expect(await countJobs()).toBe(before);
  });

  it("rejects an oversized payload through db's limit", async () => {
    const before = await countJobs();
    const error = await rejection(
      queue.enqueue({ type: "noop", payload: { blob: "x".repeat(70_000) } }),
    );
    expect(error).toMatchObject({ status: 400 });
    expect(error.message).toContain("payload: must serialize to at most 65536 bytes");
    expect(await countJobs()).toBe(before);
  });
});

describe("fetch", () => {
  it("answers /health with the version", async () => {
    const res = await queue.fetch("http://queue/health");
    expect(await res.json()).toEqual({ service: "queue", version: env.VERSION?.id, status: "ok" });
  });

  it("answers unknown routes and methods with JSON errors", async () => {
    const missing = await queue.fetch("http://queue/jobs");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "no route for /jobs" },
    });
    expect((await queue.fetch("http://queue/health", { method: "PUT" })).status).toBe(405);
  });
});
