import type { RepoReader } from "../repo-reader.js";
import { parseConfig } from "./config-error.js";
import {
  PIPELINE_CONFIG_FILE,
  type PipelineConfig,
  pipelineConfigSchema,
} from "./pipeline-config.js";
import { readJsoncFile } from "./read-config.js";

/** The repository's pipeline config, or `{}` (every default) when it has none. */
export async function readPipelineConfig(reader: RepoReader): Promise<PipelineConfig> {
  if ((await reader.readText(PIPELINE_CONFIG_FILE)) === undefined) {
    return {};
  }
  return parseConfig(
    pipelineConfigSchema,
    await readJsoncFile(reader, PIPELINE_CONFIG_FILE),
    PIPELINE_CONFIG_FILE,
  );
}
