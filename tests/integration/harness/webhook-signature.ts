import { createHmac } from "node:crypto";

/** The `x-signature` header value a sender computes over the raw request body. */
export function signWebhook(rawBody: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}
