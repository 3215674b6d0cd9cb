import * as z from "zod";

const id = z.string().trim().min(1).max(200);
/** Stored JSON columns are capped so one row cannot exhaust D1's row size limit. */
export const MAX_JSON_BYTES = 64 * 1024;

const json = z.unknown().superRefine((value, ctx) => {
  const text = JSON.stringify(value ?? null);
  if (new TextEncoder().encode(text).byteLength > MAX_JSON_BYTES) {
    ctx.addIssue({ code: "custom", message: `must serialize to at most ${MAX_JSON_BYTES} bytes` });
  }
});

export const JOB_STATUSES = ["queued", "running", "completed", "failed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const NewApiKey = z.object({
  id,
  name: z.string().trim().min(1).max(100),
  prefix: z.string().min(1).max(32),
  hash: z.string().regex(/^[0-9a-f]{64}$/, "must be a hex SHA-256 digest"),
});
export const ApiKeyHash = NewApiKey.shape.hash;

export const NewJob = z.object({ id, type: z.string().min(1).max(64), payload: json });
export const JobId = id;
export const JobUpdate = z.object({
  status: z.enum(JOB_STATUSES),
  attempts: z.number().int().min(0).optional(),
  result: json.optional(),
  error: z.string().max(2000).nullable().optional(),
});

/** received: stored; enqueued: its processing job exists; processed: the consumer handled it. */
export const WEBHOOK_EVENT_STATES = ["received", "enqueued", "processed"] as const;
export type WebhookEventState = (typeof WEBHOOK_EVENT_STATES)[number];

/** The verification schemes webhooks knows; the stored event names the one that admitted it. */
export const WEBHOOK_PROVIDERS = ["github", "stripe", "standard-webhooks", "generic"] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

/** A JSON document as the sender sent it, byte for byte (so its signature can be checked again). */
const rawJson = z
  .string()
  .max(MAX_JSON_BYTES)
  .refine((text) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  }, "must be a JSON document");

/**
 * `rawPayload` keeps a provider's delivery exactly as received; `payload` (a value, serialized
 * here) is what versions before it send. One of the two is required.
 */
export const NewWebhookEvent = z
  .object({
    id,
    source: id,
    payload: json.optional(),
    rawPayload: rawJson.optional(),
    provider: z.enum(WEBHOOK_PROVIDERS).optional(),
    eventType: z.string().trim().min(1).max(200).optional(),
  })
  .refine((event) => (event.payload === undefined) !== (event.rawPayload === undefined), {
    message: "exactly one of payload and rawPayload is required",
    path: ["payload"],
  });
export const WebhookEventKey = z.object({ source: id, id });
export const StuckWebhookEventsQuery = z.object({
  receivedBefore: z.iso.datetime(),
  limit: z.number().int().min(1).max(100).default(50),
});

export const NewOutboxEmail = z.object({
  id,
  to: z.email(),
  template: z.string().min(1).max(64),
  subject: z.string().min(1).max(500),
  body: z.string().max(MAX_JSON_BYTES),
});
export const OutboxId = id;
export const EmailSent = z.object({ id, providerMessageId: z.string().min(1).max(200) });
export const OutboxQuery = z
  .object({ to: z.email().optional(), limit: z.number().int().min(1).max(100).default(50) })
  .default({ limit: 50 });

export type NewApiKeyInput = z.input<typeof NewApiKey>;
export type NewJobInput = z.input<typeof NewJob>;
export type JobUpdateInput = z.input<typeof JobUpdate>;
export type NewWebhookEventInput = z.input<typeof NewWebhookEvent>;
export type StuckWebhookEventsQueryInput = z.input<typeof StuckWebhookEventsQuery>;
export type NewOutboxEmailInput = z.input<typeof NewOutboxEmail>;
export type OutboxQueryInput = z.input<typeof OutboxQuery>;
