import { z } from "zod";
import { DEPLOY_STRATEGIES } from "../deploy/rollout-policy.js";

/** The optional file at the repository root that adapts the pipeline to a repository. */
export const PIPELINE_CONFIG_FILE = "workers-pipeline.config.json";

const repoGlob = z.string().min(1, "expected a non-empty glob");
const urlPath = z.string().regex(/^\/[^\s]*$/, "expected a path starting with /, e.g. /health");

/** How a deploy replaces a Worker's version: all traffic at once, or in steps. */

const workerSettings = z.strictObject({
  healthPath: urlPath
    .optional()
    .describe("The path the deploy polls until the new version answers healthy."),
  smokeTests: z
    .string()
    .min(1)
    .optional()
    .describe("Repository path of this Worker's smoke tests (default: <worker>/smoke.json)."),
});

/**
 * Every key is optional: without the file, or without a key, the default applies. Objects are
 * strict, so a misspelt key is an error naming it rather than a setting silently ignored.
 */
export const pipelineConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe("For editors: docs/config.schema.json."),
    workers: z
      .array(repoGlob)
      .min(1)
      .optional()
      .describe(
        "Globs of the workspace package folders that are Workers (default: every package with a wrangler config); the others are libraries.",
      ),
    globalFiles: z
      .array(repoGlob)
      .optional()
      .describe(
        "Globs of repository files whose change makes everything affected, added to the built-in list (lockfile, root configs...).",
      ),
    thresholds: z
      .strictObject({
        coverage: z
          .number()
          .min(0, "expected a percentage from 0 to 100")
          .max(100, "expected a percentage from 0 to 100")
          .optional()
          .describe("Minimum coverage percentage for every metric (default 80)."),
      })
      .optional(),
    healthPath: urlPath.optional().describe("Health path of every Worker (default /health)."),
    rollout: z
      .strictObject({
        strategy: z
          .enum(DEPLOY_STRATEGIES)
          .optional()
          .describe(
            "The rollout strategy of deploys that do not pass --strategy (default: gradual for production, immediate elsewhere).",
          ),
      })
      .optional(),
    services: z
      .record(z.string(), workerSettings)
      .optional()
      .describe("Per-Worker settings, keyed by the Worker's name (its folder name)."),
  })
  .describe("Settings of the Workers pipeline for this repository (workers-pipeline.config.json).");

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
