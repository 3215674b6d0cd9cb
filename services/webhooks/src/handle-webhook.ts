import { jsonError, readLimitedBody } from "@workers/http";
import { enqueueProcessing } from "./enqueue-processing";
import type { Env } from "./env";
import { PROVIDERS } from "./providers";
import { lookUpSource, SOURCE_PATTERN } from "./sources";

/** Webhook providers send small JSON documents; anything larger is refused. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * POST /webhooks/:source. The source's provider checks the signature over the raw bytes before
 * anything is parsed or stored, so an unsigned request learns nothing about the body format and
 * changes nothing. The delivery is stored as received, keyed by the sender's own delivery id.
 */
export async function handleWebhook(request: Request, env: Env, name: string): Promise<Response> {
  if (!SOURCE_PATTERN.test(name)) {
    return jsonError(
      400,
      "invalid_source",
      `source ${JSON.stringify(name)} must be 1-64 of a-z, 0-9, '-', '_' (starting alphanumeric)`,
    );
  }
  const lookup = lookUpSource(env, name);
  if ("misconfigured" in lookup) return jsonError(500, "not_configured", lookup.misconfigured);
  if ("unknown" in lookup) {
    return jsonError(
      404,
      "unknown_source",
      `no webhook source ${JSON.stringify(name)}; configured: ${lookup.unknown.join(", ")}`,
    );
  }
  const { source } = lookup;
  if (source.secrets.length === 0) {
    return jsonError(
      500,
      "not_configured",
      `${source.secretName} is not set for this worker (source ${name})`,
    );
  }
  const bytes = await readLimitedBody(request, MAX_BODY_BYTES);
  if (!bytes) {
    return jsonError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  let body: string;
  try {
    body = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return jsonError(400, "invalid_body", "body is not UTF-8 text");
  }
  const provider = PROVIDERS[source.provider];
  const refused = await provider.authenticate({ ...source, body, headers: request.headers });
  if (refused !== null) {
    return jsonError(401, "invalid_signature", `${refused}; ${provider.signatureFormat}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return jsonError(400, "invalid_json", "body is not valid JSON");
  }
  const identity = provider.identify(payload, request.headers);
  if (typeof identity === "string") return jsonError(400, "invalid_event", identity);
  const { id, type } = identity;
  const { inserted, state } = await env.DB.recordWebhookEvent({
    id,
    source: name,
    rawPayload: body,
    provider: source.provider,
    eventType: type,
  });
  // A retry of a delivery whose processing was never enqueued is not a duplicate: it enqueues now.
  if (!inserted && state !== "received") {
    return Response.json({ duplicate: true, source: name, id });
  }
  const outcome = await enqueueProcessing(env, { source: name, id });
  if ("failed" in outcome) {
    console.error(`webhook ${name}/${id} stored but not queued: ${outcome.failed}`);
    // A 5xx makes providers retry the delivery, and that retry enqueues it.
    return jsonError(
      503,
      "enqueue_failed",
      `event ${name}/${id} is stored but its processing could not be queued; send it again`,
    );
  }
  return Response.json(
    { received: true, source: name, id, type, jobId: outcome.jobId },
    { status: 202 },
  );
}
