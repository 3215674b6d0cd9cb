import * as z from "zod";

export interface Rendered {
  subject: string;
  body: string;
}

/** A template's data schema is checked by `SendEmail`, so `render` only sees valid data. */
function defineTemplate<S extends z.ZodType>(data: S, render: (data: z.output<S>) => Rendered) {
  return { data, render: (input: unknown) => render(data.parse(input)) };
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

export function templateData(name: TemplateName): z.ZodType {
  return TEMPLATES[name].data;
}

export function renderTemplate(name: TemplateName, data: unknown): Rendered {
  return TEMPLATES[name].render(data);
}
