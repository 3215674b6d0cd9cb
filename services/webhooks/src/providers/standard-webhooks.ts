import { Webhook } from "standardwebhooks";
import * as z from "zod";
import { describeIssues } from "../describe-issues";
import type { Provider } from "./provider";

const Payload = z.object({ type: z.string().min(1).max(200) });

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature: v1,<base64>` (several,
 * space-separated, during a rotation) over `<webhook-id>.<webhook-timestamp>.<body>`, keyed by a
 * `whsec_<base64>` secret. The reference library checks the timestamp against its own fixed
 * five-minute window; it is pure JavaScript, so it runs on Workers as it is.
 */
export const standardWebhooks: Provider = {
  signatureFormat:
    "webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>) are required",
  async authenticate({ body, headers, secrets }) {
    const received = Object.fromEntries(headers);
    const reasons: string[] = [];
    for (const secret of secrets) {
      try {
        new Webhook(secret).verify(body, received, { jsonParse: false });
        return null;
      } catch (error) {
        reasons.push(error instanceof Error ? error.message : String(error));
      }
    }
    return `webhook-signature: ${reasons.find((r) => /timestamp/i.test(r)) ?? reasons[0]}`;
  },
  identify(payload, headers) {
    // authenticate() has seen webhook-id, as it is part of what is signed.
    const id = headers.get("webhook-id") ?? "";
    if (id.length > 200) return "headers.webhook-id: must be at most 200 characters";
    const parsed = Payload.safeParse(payload);
    return parsed.success ? { id, type: parsed.data.type } : describeIssues(parsed.error, "body");
  },
};
