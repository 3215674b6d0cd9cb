import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import ScheduleService from "../src/index";
import { fakeQueue } from "./fake-queue";

// RPC methods are called on an instance: rejections through the `exports.default` loopback are
// reported by the test runner as unhandled even when the test awaits them.
const service = () => new ScheduleService(createExecutionContext(), env);

beforeEach(async () => {
  await fakeQueue.reset();
});

describe("http", () => {
  it("answers GET /health with service, version and status", async () => {
    const res = await exports.default.fetch("http://schedule/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      service: "schedule",
      version: env.VERSION?.id,
      status: "ok",
    });
  });

  it("rejects other methods on /health with a JSON 405", async () => {
    const res = await exports.default.fetch("http://schedule/health", { method: "POST" });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("answers unknown routes with a JSON 404 naming the valid route", async () => {
    const res = await exports.default.fetch("http://schedule/nope");
    expect(res.status).toBe(404);
    const body = await res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toContain("GET /health");
  });
});

describe("dueJobs", () => {
  it("lists the heartbeat for the five-minute cron", async () => {
    expect(await service().dueJobs("*/5 * * * *")).toEqual([
      { type: "noop", payload: { task: "heartbeat" } },
    ]);
  });

  it("lists both nightly jobs, mailing the environment's ops address", async () => {
    const jobs = await service().dueJobs("0 3 * * *");
    expect(jobs.map((j) => j.type)).toEqual(["noop", "send_email"]);
    expect(jobs[1]?.payload).toMatchObject({ to: "ops@localhost.test", template: "job-completed" });
  });

  it("rejects an unknown cron and names the valid ones", async () => {
    await expect(service().dueJobs("* * * * *")).rejects.toThrow(
      /unknown cron "\* \* \* \* \*"; valid: "\*\/5 \* \* \* \*", "0 3 \* \* \*"/,
    );
  });
});

describe("runCron", () => {
  it("enqueues every due job and returns their ids", async () => {
    const run = await service().runCron("0 3 * * *");
    expect(run).toEqual({
      cron: "0 3 * * *",
      enqueued: [
        { type: "noop", id: "job-1" },
        { type: "send_email", id: "job-2" },
      ],
    });
    expect(await fakeQueue.recorded()).toEqual(await service().dueJobs("0 3 * * *"));
  });

  it("enqueues nothing for an unknown cron", async () => {
    await expect(service().runCron("1 1 1 1 1")).rejects.toThrow(/unknown cron/);
    expect(await fakeQueue.recorded()).toEqual([]);
  });

  it("still enqueues the healthy jobs but fails the run when one enqueue fails", async () => {
    await fakeQueue.failOn("send_email");
    await expect(service().runCron("0 3 * * *")).rejects.toThrow(
      /1 of 2 jobs failed to enqueue: .*queue unavailable for send_email/,
    );
    expect((await fakeQueue.recorded()).map((j) => j.type)).toEqual(["noop"]);
  });
});

describe("scheduled", () => {
  it("enqueues the jobs of the cron that fired", async () => {
    const controller = createScheduledController({ cron: "*/5 * * * *", scheduledTime: 0 });
    await service().scheduled(controller);
    expect(await fakeQueue.recorded()).toEqual([{ type: "noop", payload: { task: "heartbeat" } }]);
  });
});
