import { sign as signGithub } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";

/**
 * Each sender's headers, made with the sender's own library where it has one, so the service is
 * checked against what real senders send rather than against its own reading of their docs.
 */
export type Sender = (body: string, options: DeliveryOptions) => Promise<Record<string, string>>;

export interface DeliveryOptions {
  secret: string;
  /** The delivery id, where the sender puts it in a header. */
  id: string;
  /** When the delivery was signed (now unless a test ages it). */
  signedAt?: Date;
  /** GitHub's event name. */
  event?: string;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export const github: Sender = async (body, { secret, id, event = "push" }) => ({
  "x-hub-signature-256": await signGithub(secret, body),
  "x-github-delivery": id,
  "x-github-event": event,
});

export const stripe: Sender = async (body, { secret, signedAt = new Date() }) => ({
  // The async form: workerd has only Web Crypto, which has no synchronous HMAC.
  "stripe-signature": await Stripe.webhooks.generateTestHeaderStringAsync({
    payload: body,
    secret,
    timestamp: seconds(signedAt),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  }),
});

export const standardWebhooks: Sender = async (body, { secret, id, signedAt = new Date() }) => ({
  "webhook-id": id,
  "webhook-timestamp": String(seconds(signedAt)),
  "webhook-signature": new Webhook(secret).sign(id, signedAt, body),
});

/** Our own scheme has no library: an HMAC written here, independently of src/providers/generic.ts. */
export const generic: Sender = async (body, { secret, signedAt = new Date() }) => {
  const timestamp = String(seconds(signedAt));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${timestamp}.${body}`),
  );
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { "x-signature": `sha256=${hex}`, "x-signature-timestamp": timestamp };
};
