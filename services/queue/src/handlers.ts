import type { Json } from "@workers/db";
import type { Env } from "./env";
import { type JobType, PAYLOADS } from "./schemas";

export type Handler = (env: Env, payload: unknown, jobId: string) => Promise<Json>;

/** What each job type does; the return value becomes the job's `result`. */
export const HANDLERS: Record<JobType, Handler> = {
  async send_email(env, payload, jobId) {
    const email = PAYLOADS.send_email.parse(payload);
    // The job id doubles as the outbox id, so a redelivered message never sends twice.
    const sent = await env.EMAIL.send({ ...email, id: email.id ?? jobId });
    return { emailId: sent.id, status: sent.status };
  },
  async process_webhook(env, payload) {
    const { source, id } = PAYLOADS.process_webhook.parse(payload);
    // Exactly one job processes an event: a retried delivery and the redelivery sweep can each
    // have enqueued one, and the later jobs find it processed and leave it.
    const { processed, alreadyProcessed } = await env.DB.markWebhookEventProcessed(source, id);
    // A missing event is retried and, if it never appears, dead-lettered for someone to look at.
    if (!processed) throw new Error(`webhook event ${source}/${id} not found`);
    return { source, id, processed, alreadyProcessed };
  },
  async noop() {
    return null;
  },
};
