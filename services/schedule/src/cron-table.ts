import type { Env, ScheduledJob } from "./env";

/**
 * Which jobs each cron trigger enqueues. The keys must match `triggers.crons` in
 * wrangler.jsonc exactly, because Cloudflare hands scheduled() the expression as written there.
 * Entries are functions of the worker's vars so each environment can address its own people.
 */
export const CRON_TABLE = {
  "*/5 * * * *": () => [{ type: "noop", payload: { task: "heartbeat" } }],
  "0 3 * * *": (env) => [
    { type: "noop", payload: { task: "nightly-maintenance" } },
    {
      type: "send_email",
      payload: {
        to: env.OPS_EMAIL,
        template: "job-completed",
        data: { jobId: "nightly-maintenance", status: "scheduled" },
      },
    },
  ],
} satisfies Record<string, (env: Pick<Env, "OPS_EMAIL">) => ScheduledJob[]>;

export type CronExpression = keyof typeof CRON_TABLE;
