import { createHmac } from "node:crypto";

/**
 * The headers of our own ("generic") scheme: an HMAC-SHA256 over `<timestamp>.<raw body>`, the
 * timestamp in unix seconds. Written here from the scheme's description, apart from the
 * worker's code; the providers' schemes are signed by their own libraries (webhook-senders.ts).
 */
export function genericSignature(
  rawBody: string,
  secret: string,
  signedAt = new Date(),
): Record<string, string> {
  const timestamp = String(Math.floor(signedAt.getTime() / 1000));
  const hex = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
  return { "x-signature": `sha256=${hex}`, "x-signature-timestamp": timestamp };
}
