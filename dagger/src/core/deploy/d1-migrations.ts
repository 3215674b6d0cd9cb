import * as z from "zod";
import { type DeployTarget, LOCAL_TARGET } from "../services/catalog.js";

const d1Schema = z.array(
  z.object({ database_name: z.string(), migrations_dir: z.string().optional() }),
);
const configSchema = z.object({
  d1_databases: d1Schema.optional(),
  env: z.record(z.string(), z.object({ d1_databases: d1Schema.optional() })).optional(),
});

/**
 * The D1 databases whose migrations must be applied (`wrangler d1 migrations apply <name>
 * --remote`) before this service's new version goes live: a new version may need the new
 * schema, while rollback leaves the schema alone, so migrations must stay backward-compatible.
 * `d1_databases` is not inherited by wrangler environments: staging and production list their own.
 * A database without `migrations_dir` uses wrangler's default folder, `migrations`, when the
 * Worker has one (`hasDefaultDir`).
 */
export function d1MigrationDatabases(
  config: unknown,
  target: DeployTarget,
  hasDefaultDir: boolean,
): string[] {
  const parsed = configSchema.parse(config);
  const databases =
    target === LOCAL_TARGET ? parsed.d1_databases : parsed.env?.[target]?.d1_databases;
  return (databases ?? [])
    .filter((database) => database.migrations_dir !== undefined || hasDefaultDir)
    .map((database) => database.database_name);
}
