import { parseInput } from "@workers/db/errors";
import { z } from "zod";

export interface Rendered {
  subject: string;
  body: string;
}

/**
 * A template validates its own data (reported under `data.`), so a missing field fails with a
 * 400 before anything is stored.
 */
function defineTemplate<S extends z.ZodType>(schema: S, render: (data: z.output<S>) => Rendered) {
  return (data: unknown): Rendered => render(parseInput(schema, data, "data"));
}

const text = z.string().trim().min(1).max(200);

const TEMPLATES = {
  welcome: defineTemplate(z.object({ name: text.optional() }), ({ name }) => ({
    subject: name ? `Welcome, ${name}!` : "Welcome!",
    body: `Hello${name ? ` ${name}` : ""},\n\nyour account is ready. Create an API key to get started.\n`,
  })),
  "job-completed": defineTemplate(
    z.object({ jobId: text, status: text.default("completed") }),
    ({ jobId, status }) => ({
      subject: `Job ${jobId}: ${status}`,
      body: `Job ${jobId} finished with status "${status}".\n`,
    }),
  ),
  "webhook-received": defineTemplate(
    z.object({ source: text, eventId: text.optional() }),
    ({ source, eventId }) => ({
      subject: `Webhook received from ${source}`,
      body: `A webhook from ${source}${eventId ? ` (event ${eventId})` : ""} was received and queued.\n`,
    }),
  ),
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as [TemplateName, ...TemplateName[]];

export function renderTemplate(name: TemplateName, data: unknown): Rendered {
  return TEMPLATES[name](data);
}
