import * as z from "zod";
import { TEMPLATE_NAMES, templateData } from "./templates";

/**
 * Checks the template's own data too (reported under `data.`), so callers such as the queue
 * refuse an email that could never render before anything is stored.
 */
export const SendEmail = z
  .object({
    to: z.email(),
    template: z.enum(TEMPLATE_NAMES),
    data: z.record(z.string(), z.unknown()).default({}),
    /**
     * Optional outbox id chosen by the caller. Sending the same id again delivers at most once
     * more (only while still pending), so at-least-once callers like the queue do not duplicate.
     */
    id: z.string().trim().min(1).max(200).optional(),
  })
  .superRefine(({ template, data }, ctx) => {
    const checked = templateData(template).safeParse(data);
    for (const issue of checked.error?.issues ?? []) {
      ctx.addIssue({ code: "custom", message: issue.message, path: ["data", ...issue.path] });
    }
  });

export type SendEmailInput = z.input<typeof SendEmail>;
