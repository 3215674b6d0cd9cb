import * as z from "zod";
import { CRON_TABLE, type CronExpression } from "./cron-table";
import type { Env, ScheduledJob } from "./env";

const cronNames = Object.keys(CRON_TABLE) as [CronExpression, ...CronExpression[]];
const CronSchema = z.enum(cronNames);

export class UnknownCronError extends Error {
  override readonly name = "UnknownCronError";
}

/** The jobs a cron expression triggers; an expression missing from the table is a config error. */
export function dueJobs(env: Pick<Env, "OPS_EMAIL">, cron: unknown): ScheduledJob[] {
  const parsed = CronSchema.safeParse(cron);
  if (!parsed.success) {
    throw new UnknownCronError(
      `unknown cron ${JSON.stringify(cron)}; valid: ${cronNames.map((c) => `"${c}"`).join(", ")}`,
    );
  }
  return CRON_TABLE[parsed.data](env);
}
