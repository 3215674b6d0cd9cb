import { ServiceError } from "@workers/db/errors";
import * as z from "zod";
import type { OutgoingEmail, Transport } from "./transport";

export interface HttpTransportOptions {
  url: string;
  apiKey: string;
  fetch?: typeof fetch;
}

const Accepted = z.object({ id: z.string().min(1) });

/**
 * Sends through a provider's JSON API (the Resend/Postmark shape: bearer key, `{from, to,
 * subject, text}`, answers `{id}`). Errors name the status only: provider bodies may echo
 * request headers, and the key must never reach a log or a caller.
 */
export class HttpTransport implements Transport {
  readonly name = "http";
  readonly #options: HttpTransportOptions;

  constructor(options: HttpTransportOptions) {
    this.#options = options;
  }

  async deliver(email: OutgoingEmail): Promise<string> {
    const send = this.#options.fetch ?? fetch;
    const response = await send(this.#options.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.#options.apiKey}`,
        "content-type": "application/json",
        "idempotency-key": email.id,
      },
      body: JSON.stringify({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.body,
      }),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new ServiceError("delivery_failed", `email provider answered ${response.status}`, 502);
    }
    const accepted = Accepted.safeParse(await response.json().catch(() => null));
    if (!accepted.success) {
      throw new ServiceError(
        "delivery_failed",
        "email provider answered without a message id",
        502,
      );
    }
    return accepted.data.id;
  }
}
