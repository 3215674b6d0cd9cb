/** Regenerates docs/config.schema.json from the zod schema: `pnpm exec tsx scripts/write-config-schema.ts`. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_JSON_SCHEMA_FILE, configJsonSchema } from "../pipeline/host/config-json-schema.js";

await writeFile(join(import.meta.dirname, "..", CONFIG_JSON_SCHEMA_FILE), configJsonSchema());
