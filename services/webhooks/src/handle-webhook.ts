import { jsonError, readLimitedBody } from "@workers/http";
import { enqueueProcessing } from "./enqueue-processing";
import type { Env } from "./env";
import { verifySignature } from "./signature";
import { describeIssues, SOURCE_PATTERN, WebhookEventSchema } from "./webhook-event";

/** Webhook providers send small JSON documents; anything larger is refused. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * POST /webhooks/:source. The signature is checked over the raw bytes before anything is parsed
 * or stored, so an unsigned request learns nothing about the body format and changes nothing.
 */
export async function handleWebhook(request: Request, env: Env, source: string): Promise<Response> {
  if (!env.WEBHOOK_SECRET) {
    return jsonError(500, "not_configured", "WEBHOOK_SECRET is not set for this worker");
  }
  if (!SOURCE_PATTERN.test(source)) {
    return jsonError(
      400,
      "invalid_source",
      `source ${JSON.stringify(source)} must be 1-64 of a-z, 0-9, '-', '_' (starting alphanumeric)`,
    );
  }
  const body = await readLimitedBody(request, MAX_BODY_BYTES);
  if (!body) {
    return jsonError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  if (!(await verifySignature(env.WEBHOOK_SECRET, body, request.headers.get("x-signature")))) {
    return jsonError(
      401,
      "invalid_signature",
      "x-signature must be sha256=<hex HMAC-SHA256 of the raw body>",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return jsonError(400, "invalid_json", "body is not valid JSON");
  }
  const event = WebhookEventSchema.safeParse(json);
  if (!event.success) {
    return jsonError(400, "invalid_event", describeIssues(event.error));
  }
  const { id } = event.data;
  const { inserted, state } = await env.DB.recordWebhookEvent({ id, source, payload: event.data });
  // A retry of a delivery whose processing was never enqueued is not a duplicate: it enqueues now.
  if (!inserted && state !== "received") return Response.json({ duplicate: true, source, id });
  const outcome = await enqueueProcessing(env, { source, id });
  if ("failed" in outcome) {
    console.error(`webhook ${source}/${id} stored but not queued: ${outcome.failed}`);
    // A 5xx makes providers retry the delivery, and that retry enqueues it.
    return jsonError(
      503,
      "enqueue_failed",
      `event ${source}/${id} is stored but its processing could not be queued; send it again`,
    );
  }
  return Response.json({ received: true, source, id, jobId: outcome.jobId }, { status: 202 });
}
