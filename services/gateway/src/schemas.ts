import * as z from "zod";

const jsonObject = z.record(z.string(), z.unknown());

export const CreateKeyBody = z.object({ name: z.string().trim().min(1).max(100) });

export const EnqueueJobBody = z.object({
  type: z.enum(["send_email", "process_webhook", "noop"]),
  payload: jsonObject.default({}),
});

/** email owns the message shape (template names included); its schema is used as is. */
export { SendEmail as SendEmailBody } from "@workers/email/schemas";
