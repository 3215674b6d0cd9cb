import { z } from "zod";
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
  })
  .superRefine(({ template, data }, ctx) => {
    const checked = templateData(template).safeParse(data);
    for (const issue of checked.error?.issues ?? []) {
      ctx.addIssue({ code: "custom", message: issue.message, path: ["data", ...issue.path] });
    }
  });

export type SendEmailInput = z.input<typeof SendEmail>;
