import { z } from "zod";
import { TEMPLATE_NAMES } from "./templates";

export const SendEmail = z.object({
  to: z.email(),
  template: z.enum(TEMPLATE_NAMES),
  data: z.record(z.string(), z.unknown()).default({}),
});

export type SendEmailInput = z.input<typeof SendEmail>;
