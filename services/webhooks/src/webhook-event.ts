import { z } from "zod";

export const SOURCE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const WebhookEventSchema = z.object({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(200),
  data: z.record(z.string(), z.unknown()),
});

export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** One line naming every field that was wrong, for the 400 body. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
}
