import * as z from "zod";
import { describeIssues } from "../describe-issues";
import type { Provider } from "./provider";

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const TIMESTAMP = /^\d{1,12}$/;

/** Our own envelope, for senders we write ourselves. */
const GenericEvent = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  data: z.record(z.string(), z.unknown()),
});

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

async function signedBy(secret: string, signature: Uint8Array<ArrayBuffer>, content: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // Constant time: the check leaks nothing about how much of a forged signature was right.
  return crypto.subtle.verify("HMAC", key, signature, new TextEncoder().encode(content));
}

/**
 * Our own scheme: `x-signature: sha256=<hex>` over `<x-signature-timestamp>.<raw body>`. The
 * timestamp is signed with the body, so a captured delivery cannot be sent again with a fresh
 * one, and one older than the tolerance is refused even under a new id.
 */
export const generic: Provider = {
  signatureFormat:
    "x-signature must be sha256=<hex HMAC-SHA256 of `<x-signature-timestamp>.<raw body>`>, x-signature-timestamp unix seconds",
  async authenticate({ body, headers, secrets, toleranceSeconds }) {
    const signature = SIGNATURE.exec(headers.get("x-signature") ?? "")?.[1];
    if (!signature) return "x-signature is missing or malformed";
    const timestamp = headers.get("x-signature-timestamp") ?? "";
    if (!TIMESTAMP.test(timestamp)) return "x-signature-timestamp is missing or malformed";
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (age > toleranceSeconds) {
      return `x-signature-timestamp is outside the ${toleranceSeconds} s tolerance`;
    }
    const bytes = hexToBytes(signature);
    for (const secret of secrets) {
      if (await signedBy(secret, bytes, `${timestamp}.${body}`)) return null;
    }
    return "x-signature matches none of the source's secrets";
  },
  identify(payload) {
    const event = GenericEvent.safeParse(payload);
    return event.success ? event.data : describeIssues(event.error, "body");
  },
};
