import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser";
import * as z from "zod";

// Only the top-level (local dev) part of wrangler.jsonc that decides how a worker is wired:
// the cluster is built from these fields so it cannot drift from what the services declare.
const WranglerConfigSchema = z.object({
  name: z.string().min(1),
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
  vars: z.record(z.string(), z.unknown()).default({}),
  version_metadata: z.object({ binding: z.string() }).optional(),
  services: z
    .array(
      z.object({ binding: z.string(), service: z.string(), entrypoint: z.string().optional() }),
    )
    .default([]),
  d1_databases: z
    .array(
      z.object({
        binding: z.string(),
        database_id: z.string(),
        migrations_dir: z.string().default("migrations"),
      }),
    )
    .default([]),
  queues: z
    .object({
      producers: z.array(z.object({ binding: z.string(), queue: z.string() })).default([]),
      consumers: z
        .array(
          z.object({
            queue: z.string(),
            max_batch_size: z.number().optional(),
            max_batch_timeout: z.number().optional(),
            max_retries: z.number().optional(),
            dead_letter_queue: z.string().optional(),
            retry_delay: z.number().optional(),
          }),
        )
        .default([]),
    })
    .default({ producers: [], consumers: [] }),
  triggers: z.object({ crons: z.array(z.string()).default([]) }).default({ crons: [] }),
});

export type WranglerConfig = z.infer<typeof WranglerConfigSchema>;

export async function readWranglerConfig(serviceDir: string): Promise<WranglerConfig> {
  const path = join(serviceDir, "wrangler.jsonc");
  const errors: ParseError[] = [];
  const raw: unknown = parse(await readFile(path, "utf8"), errors, { allowTrailingComma: true });
  const [first] = errors;
  if (first) {
    throw new Error(
      `${path}: invalid JSONC (${printParseErrorCode(first.error)} at ${first.offset})`,
    );
  }
  const result = WranglerConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(`${path}: unexpected wrangler config: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}
