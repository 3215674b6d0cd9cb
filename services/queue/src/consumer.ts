import type { Env } from "./env";
import { HANDLERS } from "./handlers";
import { JobMessage, type JobType } from "./schemas";

const MAX_ERROR_LENGTH = 2000;

/**
 * Runs one job. Success acks; failure records the error and retries the message, and the
 * runtime moves it to the dead-letter queue once max_retries is spent. Messages that can never
 * succeed (malformed, unknown job or job type) and redeliveries of finished jobs are acked.
 */
export async function processMessage(env: Env, message: Message<unknown>): Promise<void> {
  const parsed = JobMessage.safeParse(message.body);
  if (!parsed.success) {
    console.error(`dropping malformed job message ${message.id}`);
    message.ack();
    return;
  }
  const job = await env.DB.getJob(parsed.data.id);
  if (!job || job.status === "completed") {
    message.ack();
    return;
  }
  const attempts = job.attempts + 1;
  // hasOwn, so a stored type such as "constructor" cannot reach Object.prototype.
  const handler = Object.hasOwn(HANDLERS, job.type) ? HANDLERS[job.type as JobType] : undefined;
  if (!handler) {
    await env.DB.updateJob(job.id, {
      status: "failed",
      attempts,
      error: `unknown job type ${job.type}`,
    });
    message.ack();
    return;
  }
  await env.DB.updateJob(job.id, { status: "running", attempts });
  try {
    const result = await handler(env, job.payload, job.id);
    await env.DB.updateJob(job.id, { status: "completed", result, error: null });
    message.ack();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await env.DB.updateJob(job.id, { status: "failed", error: reason.slice(0, MAX_ERROR_LENGTH) });
    message.retry();
  }
}
