import * as z from "zod";
import { pipelineConfigSchema } from "#core";

/** docs/config.schema.json, for editors: generated from the zod schema so the two never drift. */
export const CONFIG_JSON_SCHEMA_FILE = "docs/config.schema.json";

export function configJsonSchema(): string {
  // `input`: the file as written, where every key with a default may be left out.
  return `${JSON.stringify(z.toJSONSchema(pipelineConfigSchema, { io: "input" }), null, 2)}\n`;
}
