import { type EventKey, enqueueProcessing } from "./enqueue-processing";
import type { Env } from "./env";

/**
 * An event still 'received' this long after it arrived lost its enqueue (the queue failed and
 * the sender did not retry). Far longer than any request lives, so the sweep never races the
 * request that stored the event.
 */
export const REDELIVER_AFTER_MS = 5 * 60 * 1000;

/** Events per run, oldest first, so one run stays short; the next run takes the rest. */
export const REDELIVER_BATCH = 50;

export interface Redelivery {
  redelivered: (EventKey & { jobId: string })[];
  /** The event whose enqueue failed: the run stops there, as the queue is most likely down. */
  failed?: EventKey & { error: string };
  /** Stuck events not attempted after a failure. */
  left: number;
}

/** Enqueues the processing of the events stuck in 'received' since before the threshold. */
export async function redeliverStuckEvents(env: Env, now: number): Promise<Redelivery> {
  const stuck = await env.DB.listStuckWebhookEvents({
    receivedBefore: new Date(now - REDELIVER_AFTER_MS).toISOString(),
    limit: REDELIVER_BATCH,
  });
  const redelivered: Redelivery["redelivered"] = [];
  for (const [index, { source, id }] of stuck.entries()) {
    const outcome = await enqueueProcessing(env, { source, id });
    if ("failed" in outcome) {
      const failed = { source, id, error: outcome.failed };
      return { redelivered, failed, left: stuck.length - index - 1 };
    }
    redelivered.push({ source, id, jobId: outcome.jobId });
  }
  return { redelivered, left: 0 };
}

/** One line for the cron's log, or for its failure. */
export function describeRedelivery(run: Redelivery): string {
  const done = `enqueued ${run.redelivered.length} stuck event(s)`;
  if (!run.failed) return `webhook redelivery: ${done}`;
  const { source, id, error } = run.failed;
  return `webhook redelivery: ${done}, then could not queue ${source}/${id} (${error}); it and ${run.left} more wait for the next run`;
}
