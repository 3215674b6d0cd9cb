import Stripe from "stripe";
import * as z from "zod";
import { describeIssues } from "../describe-issues";
import type { Provider } from "./provider";

/** The fields of a Stripe Event object that key and label it. */
const StripeEvent = z.object({ id: z.string().min(1).max(200), type: z.string().min(1).max(200) });

// Workers have no Node crypto: Stripe's own Web Crypto provider, for its async verification.
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/**
 * Stripe signs `<t>.<raw body>` (`Stripe-Signature: t=<unix seconds>,v1=<hex>`, several v1 while
 * Stripe itself rolls a secret) and the signature is refused once `t` is older than the
 * tolerance. Verified with the stripe library's own check, which runs on Workers.
 */
export const stripe: Provider = {
  signatureFormat: "Stripe-Signature must be t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>",
  async authenticate({ body, headers, secrets, toleranceSeconds }) {
    const header = headers.get("stripe-signature");
    if (header === null) return "Stripe-Signature is missing";
    const reasons: string[] = [];
    for (const secret of secrets) {
      try {
        await Stripe.webhooks.constructEventAsync(
          body,
          header,
          secret,
          toleranceSeconds,
          cryptoProvider,
        );
        return null;
      } catch (error) {
        reasons.push(error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error));
      }
    }
    // A signature that matched but is too old says more than the others' mismatch.
    return `Stripe-Signature: ${reasons.find((r) => /tolerance/i.test(r)) ?? reasons[0]}`;
  },
  identify(payload) {
    const event = StripeEvent.safeParse(payload);
    return event.success ? event.data : describeIssues(event.error, "body");
  },
};
