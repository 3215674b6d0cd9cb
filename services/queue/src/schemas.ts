import { SendEmail } from "@workers/email/schemas";
import * as z from "zod";

export const JOB_TYPES = ["send_email", "process_webhook", "noop"] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const EnqueueJob = z.object({ type: z.enum(JOB_TYPES), payload: z.unknown().optional() });

/** Payloads are checked at enqueue time, so a job that can never succeed is refused with a 400. */
export const PAYLOADS = {
  send_email: SendEmail,
  process_webhook: z.object({ source: z.string().min(1), id: z.string().min(1) }),
  noop: z.unknown().default({}),
} satisfies Record<JobType, z.ZodType>;

/** The queue carries only the job id; the job row in db is the source of truth. */
export const JobMessage = z.object({ id: z.string().min(1) });
export type JobMessage = z.infer<typeof JobMessage>;

export interface EnqueueInput {
  type: JobType;
  payload?: unknown;
}
