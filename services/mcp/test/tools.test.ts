import { beforeEach, describe, expect, it } from "vitest";
import { fakeDb, fakeEmail, fakeQueue, resetFakes } from "./fakes";
import { callTool, rpc } from "./rpc";

beforeEach(resetFakes);

describe("enqueue_job", () => {
  it("enqueues through QUEUE and returns the job id", async () => {
    const reply = await callTool("enqueue_job", { type: "noop", payload: { n: 1 } });
    expect(reply.result).toEqual({
      content: [{ type: "text", text: '{"id":"job-1"}' }],
      structuredContent: { id: "job-1" },
      isError: false,
    });
    expect(await fakeQueue.recorded()).toEqual([{ type: "noop", payload: { n: 1 } }]);
  });

  it("defaults the payload to an empty object", async () => {
    await callTool("enqueue_job", { type: "noop" });
    expect(await fakeQueue.recorded()).toEqual([{ type: "noop", payload: {} }]);
  });

  it("answers an unknown job type with a tool error the model can act on, enqueuing nothing", async () => {
    const reply = await callTool("enqueue_job", { type: "mine_bitcoin" });
    expect(reply.error).toBeUndefined();
    expect(reply.result).toEqual({
      content: [
        {
          type: "text",
          text: expect.stringMatching(/^invalid arguments for enqueue_job: type: .*"noop"/),
        },
      ],
      isError: true,
    });
    expect(await fakeQueue.recorded()).toEqual([]);
  });

  it("reports a downstream failure as a tool error, not a protocol error", async () => {
    await fakeQueue.failOn("noop");
    const reply = await callTool("enqueue_job", { type: "noop" });
    expect(reply.error).toBeUndefined();
    expect(reply.result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: expect.stringMatching(/^enqueue_job failed: .*for noop/) }],
    });
  });
});

describe("send_email", () => {
  it("sends through EMAIL", async () => {
    const args = { to: "a@example.com", template: "welcome", data: { name: "Ada" } };
    const reply = await callTool("send_email", args);
    expect(reply.result?.structuredContent).toEqual({ id: "email-1", status: "sent" });
    expect(await fakeEmail.sentEmails()).toEqual([args]);
  });

  it("answers an invalid address and a missing template with a tool error naming both", async () => {
    const reply = await callTool("send_email", { to: "not-an-email" });
    expect(reply.result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: expect.stringMatching(/to: .*; template: /) }],
    });
    expect(await fakeEmail.sentEmails()).toEqual([]);
  });
});

describe("get_job", () => {
  it("returns the job record from DB", async () => {
    const job = { id: "j1", type: "noop", status: "completed", attempts: 1 };
    await fakeDb.seedJob(job);
    expect((await callTool("get_job", { id: "j1" })).result?.structuredContent).toEqual(job);
  });

  it("reports a missing job as a tool error", async () => {
    const reply = await callTool("get_job", { id: "missing" });
    expect(reply.result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: 'get_job failed: job "missing" not found' }],
    });
  });
});

describe("tools/call params", () => {
  it("rejects an unknown tool with -32602 naming the valid tools", async () => {
    const reply = await callTool("delete_everything", {});
    expect(reply.error).toEqual({
      code: -32602,
      message: 'unknown tool "delete_everything"; valid: enqueue_job, send_email, get_job',
    });
  });

  it("rejects a call without a tool name", async () => {
    const reply = await rpc("tools/call", { arguments: {} });
    // The SDK refuses the malformed request before any tool code runs.
    expect(reply.result).toBeUndefined();
    expect(reply.error?.code).toEqual(expect.any(Number));
  });

  it("treats missing arguments as empty ones", async () => {
    const reply = await rpc("tools/call", { name: "get_job" });
    expect(reply.result).toMatchObject({
      isError: true,
      content: [
        { type: "text", text: expect.stringMatching(/^invalid arguments for get_job: id: /) },
      ],
    });
  });
});
