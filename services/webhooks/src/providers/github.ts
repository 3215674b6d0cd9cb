import { verifyWithFallback } from "@octokit/webhooks-methods";
import * as z from "zod";
import { describeIssues } from "../describe-issues";
import type { Provider } from "./provider";

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
const Headers = z.object({
  "x-github-delivery": z.string().min(1).max(200),
  "x-github-event": z.string().min(1).max(200),
});

/**
 * GitHub signs the raw body with HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>`) and sends no
 * timestamp, so a replay is caught only by its delivery id (X-GitHub-Delivery, which GitHub's
 * own redelivery keeps), not by age. Verified with octokit's own webhooks-methods, whose web
 * build (Web Crypto) is what wrangler bundles for workerd.
 */
export const github: Provider = {
  signatureFormat: "X-Hub-Signature-256 must be sha256=<hex HMAC-SHA256 of the raw body>",
  async authenticate({ body, headers, secrets }) {
    const signature = headers.get("x-hub-signature-256");
    if (signature === null) return "X-Hub-Signature-256 is missing";
    // The library throws on a value it cannot read as hex rather than answering false.
    if (!SIGNATURE.test(signature)) return "X-Hub-Signature-256 is malformed";
    const [current = "", ...previous] = secrets;
    const valid = await verifyWithFallback(current, body, signature, previous);
    return valid ? null : "X-Hub-Signature-256 matches none of the source's secrets";
  },
  identify(payload, headers) {
    const parsed = Headers.safeParse(Object.fromEntries(headers));
    if (!parsed.success) return describeIssues(parsed.error, "headers");
    if (typeof payload !== "object" || payload === null) return "body: must be a JSON object";
    return { id: parsed.data["x-github-delivery"], type: parsed.data["x-github-event"] };
  },
};
