import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { outboxFor, rejection, uniqueAddress } from "./helpers";

const email = exports.default;

describe("send with the recording transport", () => {
  it("renders the template, records it in the outbox and marks it sent", async () => {
    const to = uniqueAddress();
    const sent = await email.send({ to, template: "welcome", data: { name: "Ada" } });
    expect(sent).toEqual({ id: expect.any(String), status: "sent" });
    const [row, ...rest] = await outboxFor(to);
    expect(rest).toHaveLength(0);
    expect(row).toMatchObject({
      id: sent.id,
      template: "welcome",
      subject: "Welcome, Ada!",
      status: "sent",
      provider_message_id: `recorded-${sent.id}`,
    });
    expect(row?.body).toContain("Hello Ada,");
  });

  it.each([
    ["welcome", {}, "Welcome!"],
    ["job-completed", { jobId: "j1" }, "Job j1: completed"],
    ["job-completed", { jobId: "j2", status: "failed" }, "Job j2: failed"],
    ["webhook-received", { source: "github" }, "Webhook received from github"],
    ["webhook-received", { source: "github", eventId: "e1" }, "Webhook received from github"],
  ] as const)("renders %s with %o", async (template, data, subject) => {
    const to = uniqueAddress();
    await email.send({ to, template, data });
    const [row] = await outboxFor(to);
    expect(row?.subject).toBe(subject);
    if ("eventId" in data) expect(row?.body).toContain("(event e1)");
  });

  it("defaults data to an empty object", async () => {
    const to = uniqueAddress();
    await email.send({ to, template: "welcome" });
    expect((await outboxFor(to))[0]?.subject).toBe("Welcome!");
  });
});

describe("bad input changes nothing", () => {
  it.each([
    [{ template: "welcome" }, /^invalid input: to: /],
    [{ to: "not-an-address", template: "welcome" }, /^invalid input: to: /],
    [
      { to: "x@example.com", template: "invoice" },
      /"welcome"\|"job-completed"\|"webhook-received"/,
    ],
    [{ to: "x@example.com", template: "job-completed", data: {} }, /^invalid input: data\.jobId: /],
    [
      { to: "x@example.com", template: "welcome", data: { name: "n".repeat(500) } },
      /data\.name: Too big/,
    ],
  ])("rejects %o", async (input, message) => {
    const before = await env.TEST_DB.prepare("SELECT COUNT(*) AS n FROM email_outbox").first("n");
    const error = await rejection(email.send(input as never));
    expect(error).toMatchObject({ code: "invalid_input", status: 400 });
    expect(error.message).toMatch(message);
    expect(await env.TEST_DB.prepare("SELECT COUNT(*) AS n FROM email_outbox").first("n")).toBe(
      before,
    );
  });
});

describe("fetch", () => {
  it("answers /health with the version and transport", async () => {
    const res = await email.fetch("http://email/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      service: "email",
      version: env.VERSION?.id,
      status: "ok",
      transport: "recording",
    });
  });

  it("answers unknown routes and methods with JSON errors", async () => {
    const missing = await email.fetch("http://email/send");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "no route for /send" },
    });
    expect((await email.fetch("http://email/health", { method: "DELETE" })).status).toBe(405);
  });
});
