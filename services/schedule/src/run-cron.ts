import { dueJobs } from "./due-jobs";
import type { Env } from "./env";

export interface CronRun {
  cron: string;
  enqueued: { type: string; id: string }[];
}

/**
 * Enqueues every job due for `cron`. All enqueues are attempted even if one fails, so a single
 * broken job does not starve the others; any failure then fails the whole run so the cron
 * invocation is reported as failed.
 */
export async function runCron(env: Env, cron: unknown): Promise<CronRun> {
  const jobs = dueJobs(env, cron);
  const results = await Promise.allSettled(jobs.map((job) => env.QUEUE.enqueue(job)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length > 0) {
    const reasons = failures.map((f) => String(f.reason)).join("; ");
    throw new Error(
      `cron "${String(cron)}": ${failures.length} of ${jobs.length} jobs failed to enqueue: ${reasons}`,
    );
  }
  const enqueued = jobs.map((job, i) => ({
    type: job.type,
    id: (results[i] as PromiseFulfilledResult<{ id: string }>).value.id,
  }));
  return { cron: String(cron), enqueued };
}
