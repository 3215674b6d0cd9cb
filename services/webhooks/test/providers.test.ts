import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { fakeQueue } from "./fakes";
import { SECRETS } from "./secrets";
import { github, type Sender, standardWebhooks, stripe } from "./senders";

const uid = (prefix: string) => `${prefix}_${crypto.randomUUID()}`;

interface ProviderCase {
  source: string;
  provider: string;
  send: Sender;
  secret: string;
  /** A delivery of event type `type` whose idempotency key is `id`, as the sender words it. */
  body: (id: string, type: string) => string;
}

const CASES: ProviderCase[] = [
  {
    source: "github",
    provider: "github",
    send: github,
    secret: SECRETS.GITHUB_WEBHOOK_SECRET,
    // GitHub keys a delivery by its X-GitHub-Delivery header, not by anything in the body.
    body: () => '{"ref":"refs/heads/main","repository":{"full_name":"acme/app"}}',
  },
  {
    source: "stripe",
    provider: "stripe",
    send: stripe,
    secret: SECRETS.STRIPE_WEBHOOK_SECRET,
    body: (id, type) =>
      JSON.stringify({ id, object: "event", type, data: { object: { id: "pi_1" } } }),
  },
  {
    source: "standard",
    provider: "standard-webhooks",
    send: standardWebhooks,
    secret: SECRETS.STANDARD_WEBHOOK_SECRET,
    body: (_id, type) => JSON.stringify({ type, timestamp: new Date().toISOString(), data: {} }),
  },
];

/** GitHub signs no timestamp, so only the others can refuse a delivery for its age. */
const TIMESTAMPED = CASES.filter((c) => c.source !== "github");

const EVENT_TYPE = { github: "push", stripe: "payment_intent.succeeded", standard: "user.created" };

async function deliver(source: string, body: string, headers: Record<string, string>) {
  return exports.default.fetch(`http://webhooks/webhooks/${source}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** A valid delivery: its id, body and signed headers. */
async function signedDelivery(c: ProviderCase, options: { signedAt?: Date; secret?: string } = {}) {
  const id = uid("delivery");
  const type = EVENT_TYPE[c.source as keyof typeof EVENT_TYPE];
  const body = c.body(id, type);
  const headers = await c.send(body, { secret: c.secret, id, event: type, ...options });
  return { id, type, body, headers };
}

const countEvents = async () =>
  env.TEST_DB.prepare("SELECT COUNT(*) AS n FROM webhook_events").first<number>("n");

async function expectRefused(response: Promise<Response>, before: number | null) {
  const res = await response;
  expect(res.status).toBe(401);
  const { error } = await res.json<{ error: { code: string; message: string } }>();
  expect(error.code).toBe("invalid_signature");
  expect(await countEvents()).toBe(before);
  expect(await fakeQueue.recorded()).toEqual([]);
  return error.message;
}

beforeEach(async () => {
  await fakeQueue.reset();
});

describe.each(CASES)("$source deliveries ($provider)", (c) => {
  it("stores a valid delivery as received, with its provider, type and id, and enqueues it", async () => {
    const { id, type, body, headers } = await signedDelivery(c);
    const res = await deliver(c.source, body, headers);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ received: true, source: c.source, id, type });
    const stored = await env.TEST_DB.prepare(
      "SELECT payload, provider, event_type FROM webhook_events WHERE source = ? AND id = ?",
    )
      .bind(c.source, id)
      .first();
    expect(stored).toEqual({ payload: body, provider: c.provider, event_type: type });
    expect(await fakeQueue.recorded()).toEqual([
      { type: "process_webhook", payload: { source: c.source, id } },
    ]);
  });

  it("takes the same delivery id twice exactly once", async () => {
    const { id, body, headers } = await signedDelivery(c);
    expect((await deliver(c.source, body, headers)).status).toBe(202);
    const again = await deliver(c.source, body, headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, source: c.source, id });
    expect(await fakeQueue.recorded()).toHaveLength(1);
  });

  it("refuses a tampered body", async () => {
    const { body, headers } = await signedDelivery(c);
    const tampered = body.replace("{", '{"injected":true,');
    await expectRefused(deliver(c.source, tampered, headers), await countEvents());
  });

  it("refuses a delivery signed with another secret", async () => {
    const { body, headers } = await signedDelivery(c, {
      secret: c.source === "standard" ? `whsec_${btoa("some-other-key")}` : "another-secret",
    });
    await expectRefused(deliver(c.source, body, headers), await countEvents());
  });

  it("refuses a delivery without its signature headers", async () => {
    const { body } = await signedDelivery(c);
    await expectRefused(deliver(c.source, body, {}), await countEvents());
  });
});

describe.each(TIMESTAMPED)("$source replays", (c) => {
  it("refuses a delivery signed ten minutes ago, even under a new id", async () => {
    const { body, headers } = await signedDelivery(c, {
      signedAt: new Date(Date.now() - 10 * 60_000),
    });
    const message = await expectRefused(deliver(c.source, body, headers), await countEvents());
    expect(message).toMatch(/tolerance|too old/i);
  });
});

describe("secret rotation", () => {
  it("accepts GitHub deliveries signed with the previous secret while it is set", async () => {
    const { body, headers } = await signedDelivery(CASES[0] as ProviderCase, {
      secret: SECRETS.GITHUB_WEBHOOK_SECRET_PREVIOUS,
    });
    expect((await deliver("github", body, headers)).status).toBe(202);
  });

  it("accepts a Standard Webhooks header carrying a stale and a current signature", async () => {
    const c = CASES[2] as ProviderCase;
    const { body, headers } = await signedDelivery(c);
    const stale = `v1,${btoa("not the signature of anything at all")}`;
    const signature = `${stale} ${headers["webhook-signature"]}`;
    const res = await deliver("standard", body, { ...headers, "webhook-signature": signature });
    expect(res.status).toBe(202);
  });
});

describe("provider payloads", () => {
  it("refuses a signed Stripe delivery that is not an event, naming the fields", async () => {
    const c = CASES[1] as ProviderCase;
    const body = JSON.stringify({ object: "event" });
    const headers = await c.send(body, { secret: c.secret, id: "" });
    const res = await deliver("stripe", body, headers);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_event",
        message: expect.stringMatching(/^body\.id: .*; body\.type: /),
      },
    });
  });

  it("refuses a signed GitHub delivery without its event header", async () => {
    const { body, headers } = await signedDelivery(CASES[0] as ProviderCase);
    const { "x-github-event": _event, ...withoutEvent } = headers;
    const res = await deliver("github", body, withoutEvent);
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { message: string } }>()).error.message).toMatch(
      /^headers\.x-github-event: /,
    );
  });

  it("refuses a signed Standard Webhooks payload without a type", async () => {
    const c = CASES[2] as ProviderCase;
    const id = uid("msg");
    const body = JSON.stringify({ data: {} });
    const res = await deliver("standard", body, await c.send(body, { secret: c.secret, id }));
    expect(res.status).toBe(400);
  });
});
