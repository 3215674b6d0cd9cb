import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import QueueService from "../src/index";
import { countJobs, rejection } from "./helpers";

/** Hands one batch to the real entrypoint and reports what it acked and retried. */
async function consume(bodies: unknown[]) {
  const ctx = createExecutionContext();
  const messages = bodies.map((body, i) => ({
    id: `msg-${i}`,
    timestamp: new Date(),
    attempts: 1,
    body,
  }));
  const batch = createMessageBatch("jobs", messages);
  await new QueueService(ctx, env).queue(batch);
  return getQueueResult(batch, ctx);
}

async function job(type: string, payload: unknown) {
  const id = crypto.randomUUID();
  await env.DB.createJob({ id, type, payload });
  return id;
}

describe("queue consumer", () => {
  it("acks a completed job and retries a failed one, counting attempts", async () => {
    const ok = await job("noop", {});
    const failing = await job("process_webhook", { source: "stripe", id: "missing" });
    const result = await consume([{ id: ok }, { id: failing }]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-1" }]);
    expect(await env.DB.getJob(ok)).toMatchObject({ status: "completed", attempts: 1 });
    expect(await env.DB.getJob(failing)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: "webhook event stripe/missing not found",
    });
    await consume([{ id: failing }]);
    expect(await env.DB.getJob(failing)).toMatchObject({ status: "failed", attempts: 2 });
  });

  it("processes a webhook event once when two jobs carry it", async () => {
    const eventId = crypto.randomUUID();
    await env.DB.recordWebhookEvent({ id: eventId, source: "github", payload: {} });
    const first = await job("process_webhook", { source: "github", id: eventId });
    const second = await job("process_webhook", { source: "github", id: eventId });
    const result = await consume([{ id: first }, { id: second }]);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);
    const results = [(await env.DB.getJob(first))?.result, (await env.DB.getJob(second))?.result];
    expect(results).toContainEqual({
      source: "github",
      id: eventId,
      processed: true,
      alreadyProcessed: false,
    });
    expect(results).toContainEqual({
      source: "github",
      id: eventId,
      processed: true,
      alreadyProcessed: true,
    });
  });

  it("does not send an email twice when a job is run again", async () => {
    const to = `again-${crypto.randomUUID()}@example.com`;
    const id = await job("send_email", { to, template: "welcome", data: {} });
    await consume([{ id }]);
    // As if the worker died after sending but before recording completion.
    await env.DB.updateJob(id, { status: "running" });
    const result = await consume([{ id }]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await env.DB.getJob(id)).toMatchObject({ status: "completed", attempts: 2 });
    expect(await env.DB.listOutbox({ to })).toMatchObject([{ id, status: "sent" }]);
  });

  it("acks a redelivered completed job without running it again", async () => {
    const id = await job("noop", {});
    await env.DB.updateJob(id, { status: "completed", attempts: 1 });
    const result = await consume([{ id }]);
    expect(result.explicitAcks).toEqual(["msg-0"]);
    expect(await env.DB.getJob(id)).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("acks messages that can never succeed instead of retrying them", async () => {
    const before = await countJobs();
    const result = await consume([{ nope: true }, "garbage", { id: "no-such-job" }]);
    expect(result.explicitAcks).toEqual(["msg-0", "msg-1", "msg-2"]);
    expect(result.retryMessages).toEqual([]);
    expect(await countJobs()).toBe(before);
  });

  it("fails a job of an unknown type once, without retrying it", async () => {
    const reboot = await job("reboot", {});
    const inherited = await job("constructor", {});
    const result = await consume([{ id: reboot }, { id: inherited }]);
    expect(result.explicitAcks).toEqual(["msg-0", "msg-1"]);
    expect(await env.DB.getJob(reboot)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: "unknown job type reboot",
    });
    expect((await env.DB.getJob(inherited))?.error).toBe("unknown job type constructor");
  });

  it("records a job whose payload no longer fits its type as failed", async () => {
    const id = await job("send_email", { to: "not-an-address" });
    const result = await consume([{ id }]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-0" }]);
    expect((await env.DB.getJob(id))?.error).toContain("Invalid email address");
  });
});

describe("enqueue when the queue is unavailable", () => {
  it("marks the job failed and answers 503", async () => {
    const unavailable = {
      ...env,
      JOBS: {
        send: () => Promise.reject(new Error("queue down")),
        sendBatch: () => Promise.reject(new Error("queue down")),
      },
    } as unknown as Cloudflare.Env;
    const error = await rejection(
      new QueueService(createExecutionContext(), unavailable).enqueue({ type: "noop" }),
    );
    expect(error).toMatchObject({ code: "unavailable", status: 503 });
    const id = /job (\S+) could not/.exec(error.message)?.[1] ?? "";
    expect(await env.DB.getJob(id)).toMatchObject({
      status: "failed",
      error: "could not be queued",
      payload: {},
    });
  });
});
