import type { Env } from "./env";

export interface EventKey {
  source: string;
  id: string;
}

export type EnqueueOutcome = { jobId: string } | { failed: string };

/**
 * Enqueues the processing of a stored event, then records that it was. Until both happened the
 * event stays 'received', and a retried delivery or the redelivery sweep enqueues it again; a
 * second job is harmless, because the consumer marks an event processed only once.
 */
export async function enqueueProcessing(env: Env, event: EventKey): Promise<EnqueueOutcome> {
  let job: { id: string };
  try {
    job = await env.QUEUE.enqueue({ type: "process_webhook", payload: event });
  } catch (error) {
    return { failed: error instanceof Error ? error.message : String(error) };
  }
  await env.DB.markWebhookEventEnqueued(event.source, event.id);
  return { jobId: job.id };
}
