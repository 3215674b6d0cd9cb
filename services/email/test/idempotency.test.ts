import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { emailWith, outboxFor, rejection, uniqueAddress } from "./helpers";

const httpVars = {
  EMAIL_TRANSPORT: "http",
  EMAIL_API_URL: "https://provider.test/emails",
  EMAIL_API_KEY: "test-provider-key-idem",
};

async function providerRequestsTo(to: string): Promise<number> {
  const all = (await (await env.PROVIDER.fetch("http://provider/__received")).json()) as {
    body: { to: string };
  }[];
  return all.filter((request) => request.body.to === to).length;
}

describe("send with a caller-chosen id", () => {
  it("delivers once however often it is repeated", async () => {
    const to = uniqueAddress();
    const id = crypto.randomUUID();
    const email = emailWith(httpVars);
    const first = await email.send({ id, to, template: "welcome" });
    const again = await email.send({ id, to, template: "welcome" });
    expect(first).toEqual({ id, status: "sent" });
    expect(again).toEqual(first);
    expect(await providerRequestsTo(to)).toBe(1);
    expect(await outboxFor(to)).toHaveLength(1);
  });

  it("delivers a pending email again after a failed attempt", async () => {
    const to = uniqueAddress("outage");
    const id = crypto.randomUUID();
    await rejection(emailWith(httpVars).send({ id, to, template: "welcome" }));
    expect(await outboxFor(to)).toMatchObject([{ id, status: "pending" }]);
    expect(await exports.default.send({ id, to, template: "welcome" })).toEqual({
      id,
      status: "sent",
    });
    expect(await outboxFor(to)).toMatchObject([
      { id, status: "sent", provider_message_id: `recorded-${id}` },
    ]);
  });

  it("refuses the same id with other content and keeps the original", async () => {
    const to = uniqueAddress();
    const id = crypto.randomUUID();
    await exports.default.send({ id, to, template: "welcome", data: { name: "A" } });
    const error = await rejection(
      exports.default.send({ id, to, template: "welcome", data: { name: "B" } }),
    );
    expect(error).toMatchObject({ code: "conflict", status: 409 });
    expect(await outboxFor(to)).toMatchObject([{ id, subject: "Welcome, A!" }]);
  });
});
