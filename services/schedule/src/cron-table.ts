import type { ScheduledJob } from "./env";

/**
 * Which jobs each cron trigger enqueues. The keys must match `triggers.crons` in
 * wrangler.jsonc exactly, because Cloudflare hands scheduled() the expression as written there.
 */
export const CRON_TABLE = {
  "*/5 * * * *": [{ type: "noop", payload: { task: "heartbeat" } }],
  "0 3 * * *": [
    { type: "noop", payload: { task: "nightly-maintenance" } },
    {
      type: "send_email",
      payload: {
        to: "ops@example.com",
        template: "job-completed",
        data: { jobId: "nightly-maintenance", status: "scheduled" },
      },
    },
  ],
} as const satisfies Record<string, readonly ScheduledJob[]>;

export type CronExpression = keyof typeof CRON_TABLE;
