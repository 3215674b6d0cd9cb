import { Webhooks } from "@octokit/webhooks";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";

/** One delivery as its sender would make it: the body and the headers it signs it with. */
export interface SignedDelivery {
  /** The sender's idempotency key for this delivery. */
  id: string;
  type: string;
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryOptions {
  id: string;
  secret: string;
  /** When it was signed; now unless a test replays an old one. */
  signedAt?: Date;
}

/**
 * The three outside senders, each signing with its own library: octokit's Webhooks.sign,
 * stripe's generateTestHeaderString and standardwebhooks' Webhook.sign.
 */
export interface Sender {
  /** The webhooks worker's source that is configured for this sender. */
  source: "github" | "stripe" | "standard";
  provider: "github" | "stripe" | "standard-webhooks";
  /** Whether the scheme signs a timestamp (GitHub's does not). */
  timestamped: boolean;
  deliver(options: DeliveryOptions): Promise<SignedDelivery>;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export const github: Sender = {
  source: "github",
  provider: "github",
  timestamped: false,
  async deliver({ id, secret }) {
    const body = JSON.stringify({ ref: "refs/heads/main", after: id.slice(0, 12) });
    return {
      id,
      type: "push",
      body,
      headers: {
        "x-hub-signature-256": await new Webhooks({ secret }).sign(body),
        "x-github-delivery": id,
        "x-github-event": "push",
        "user-agent": "GitHub-Hookshot/integration",
      },
    };
  },
};

export const stripe: Sender = {
  source: "stripe",
  provider: "stripe",
  timestamped: true,
  async deliver({ id, secret, signedAt = new Date() }) {
    const type = "payment_intent.succeeded";
    const body = JSON.stringify({ id, object: "event", type, data: { object: { id: "pi_1" } } });
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret,
      timestamp: seconds(signedAt),
    });
    return { id, type, body, headers: { "stripe-signature": signature } };
  },
};

export const standardWebhooks: Sender = {
  source: "standard",
  provider: "standard-webhooks",
  timestamped: true,
  async deliver({ id, secret, signedAt = new Date() }) {
    const type = "user.created";
    const body = JSON.stringify({ type, timestamp: signedAt.toISOString(), data: { id: "u_1" } });
    return {
      id,
      type,
      body,
      headers: {
        "webhook-id": id,
        "webhook-timestamp": String(seconds(signedAt)),
        "webhook-signature": new Webhook(secret).sign(id, signedAt, body),
      },
    };
  },
};

export const SENDERS = [github, stripe, standardWebhooks] as const;
