import * as z from "zod";

// The db service's record shapes as its RPC contract promises them; parsing every answer makes
// a contract drift fail here with the offending field named.
export const JobRecord = z.object({
  id: z.string(),
  type: z.string(),
  payload: z.unknown(),
  status: z.enum(["queued", "running", "completed", "failed"]),
  attempts: z.number(),
  result: z.unknown(),
  error: z.string().nullable(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export const WebhookEventRecord = z.object({
  source: z.string(),
  id: z.string(),
  payload: z.unknown(),
  provider: z.enum(["github", "stripe", "standard-webhooks", "generic"]).nullable(),
  eventType: z.string().nullable(),
  state: z.enum(["received", "enqueued", "processed"]),
  processedAt: z.string().nullable(),
});
export type WebhookEventRecord = z.infer<typeof WebhookEventRecord>;

export const OutboxRecord = z.object({
  id: z.string(),
  to: z.string(),
  template: z.string(),
  subject: z.string(),
  body: z.string(),
  status: z.enum(["pending", "sent"]),
  providerMessageId: z.string().nullable(),
});
export type OutboxRecord = z.infer<typeof OutboxRecord>;
