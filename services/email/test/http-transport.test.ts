import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HttpTransport } from "../src/transports/http";
import { emailWith, outboxFor, rejection, uniqueAddress } from "./helpers";

const API_KEY = "test-provider-key-5f2c";
const httpVars = {
  EMAIL_TRANSPORT: "http",
  EMAIL_API_URL: "https://provider.test/emails",
  EMAIL_API_KEY: API_KEY,
};

async function requestsTo(to: string) {
  const all = (await (await env.PROVIDER.fetch("http://provider/__received")).json()) as {
    url: string;
    body: { to: string };
  }[];
  return all.filter((request) => request.body.to === to);
}

describe("send with the http transport", () => {
  it("posts the rendered email to the provider and stores its message id", async () => {
    const to = uniqueAddress();
    const sent = await emailWith(httpVars).send({
      to,
      template: "job-completed",
      data: { jobId: "j9" },
    });
    const [request, ...more] = await requestsTo(to);
    expect(more).toHaveLength(0);
    expect(request).toEqual({
      method: "POST",
      url: "https://provider.test/emails",
      authorization: `Bearer ${API_KEY}`,
      contentType: "application/json",
      idempotencyKey: sent.id,
      body: {
        from: env.EMAIL_FROM,
        to,
        subject: "Job j9: completed",
        text: 'Job j9 finished with status "completed".\n',
      },
    });
    const [row] = await outboxFor(to);
    expect(row).toMatchObject({
      status: "sent",
      provider_message_id: expect.stringMatching(/^provider-\d+$/),
    });
  });

  it("rejects with 502 on a provider error, leaves the email pending and never leaks the key", async () => {
    const to = uniqueAddress("outage");
    const error = await rejection(emailWith(httpVars).send({ to, template: "welcome" }));
    expect(error).toMatchObject({
      code: "delivery_failed",
      status: 502,
      message: "email provider answered 503",
    });
    expect(JSON.stringify(error)).not.toContain(API_KEY);
    expect(await requestsTo(to)).toHaveLength(1);
    expect(await outboxFor(to)).toMatchObject([{ status: "pending", provider_message_id: null }]);
  });

  it("rejects an answer without a message id", async () => {
    const transport = new HttpTransport({
      url: "https://provider.test/emails",
      apiKey: API_KEY,
      fetch: (input, init) => env.PROVIDER.fetch(input, init),
    });
    const to = uniqueAddress("garbled");
    const error = await rejection(
      transport.deliver({ id: "m1", from: "a@example.com", to, subject: "s", body: "b" }),
    );
    expect(error.message).toBe("email provider answered without a message id");
  });
});

describe("configuration", () => {
  it.each([
    [{ EMAIL_TRANSPORT: "smtp" }, 'EMAIL_TRANSPORT is "smtp", expected one of recording, http'],
    [{ ...httpVars, EMAIL_API_URL: "" }, "EMAIL_API_URL is not set"],
    [{ ...httpVars, EMAIL_API_KEY: undefined }, "EMAIL_API_KEY is not set"],
    [{ EMAIL_FROM: "" }, "EMAIL_FROM is not set"],
  ])("refuses %o before recording anything", async (vars, reason) => {
    const to = uniqueAddress();
    const error = await rejection(emailWith(vars).send({ to, template: "welcome" }));
    expect(error).toMatchObject({ code: "misconfigured", status: 500 });
    expect(error.message).toBe(`email transport misconfigured: ${reason}`);
    expect(await outboxFor(to)).toHaveLength(0);
  });

  it("reports degraded health without revealing the key", async () => {
    const res = await emailWith({ ...httpVars, EMAIL_API_URL: undefined }).fetch(
      new Request("http://email/health"),
    );
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toMatchObject({
      status: "degraded",
      message: expect.stringContaining("EMAIL_API_URL"),
    });
    expect(body).not.toContain(API_KEY);
  });

  it("reports the http transport when configured", async () => {
    const res = await emailWith(httpVars).fetch(new Request("http://email/health"));
    expect(await res.json()).toMatchObject({ status: "ok", transport: "http" });
  });
});
