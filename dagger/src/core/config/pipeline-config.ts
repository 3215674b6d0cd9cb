import * as z from "zod";
import { DEPLOY_STRATEGIES } from "./deploy-strategies.js";
import { HEALTH_CONTRACTS } from "./health-contracts.js";

/** The optional file at the repository root that adapts the pipeline to a repository. */
export const PIPELINE_CONFIG_FILE = "workers-pipeline.config.json";

/** What a deploy does about a run to its environment that was cut short (see run-recover.ts). */
export const UNFINISHED_RUN_CHOICES = ["recover", "refuse"] as const;

const repoGlob = z.string().min(1, "expected a non-empty glob");
const urlPath = z.string().regex(/^\/[^\s]*$/, "expected a path starting with /, e.g. /health");

/** How a deploy replaces a Worker's version: all traffic at once, or in steps. */

const healthContract = z
  .enum(HEALTH_CONTRACTS)
  .describe(
    'version: 200 with JSON {"status": "ok", "version": <its version id>}, proving the deployed version answers; status: any 2xx, for Workers that do not report their version.',
  );

const workerSettings = z.strictObject({
  healthPath: urlPath
    .optional()
    .describe("The path the deploy polls until the new version answers healthy."),
  healthContract: healthContract.optional().describe("What a healthy answer is for this Worker."),
  smokeTests: z
    .string()
    .min(1)
    .optional()
    .describe("Repository path of this Worker's smoke tests (default: <worker>/smoke.json)."),
});

const rootTest = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "expected a step name (lowercase letters, digits, dashes)")
    .describe("The step's name: its id is tooling:<name>."),
  script: z.string().min(1).describe("The root package.json script the step runs."),
  args: z.array(z.string()).optional().describe("Arguments passed on to the script."),
  coverageSubject: z
    .string()
    .min(1)
    .optional()
    .describe(
      "What its coverage measures: the script (vitest) then writes coverage/tooling/<name>/coverage-final.json, and the gate judges each subject on the merge of its steps' maps.",
    ),
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
        "Globs of the folders that are Workers (default: every workspace package with a wrangler config); the other packages are libraries. A folder inside a package (up to four levels down) that holds a wrangler config is a Worker of that package when a glob names it.",
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
    healthContract: healthContract
      .optional()
      .describe("What a healthy answer is for every Worker (default version)."),
    integrationTests: z
      .strictObject({
        package: z
          .string()
          .min(1)
          .describe("The package.json name of the workspace package holding them."),
        workerFilter: z
          .string()
          .min(1)
          .optional()
          .describe(
            "The option its test script takes to run only the flows through some Workers, given as `a || b` (e.g. --tags-filter); without it every flow runs.",
          ),
      })
      .optional()
      .describe(
        "A workspace package whose test script runs the Workers together: its step (integration) runs after every unit test step.",
      ),
    rootTests: z
      .strictObject({
        inputs: z
          .array(repoGlob)
          .optional()
          .describe(
            "Globs of the files outside the packages that these tests cover: a change to one runs them (and no package's tests); any other file outside the packages selects everything.",
          ),
        steps: z.array(rootTest).describe("The steps, run side by side after install."),
      })
      .optional()
      .describe(
        "Test steps run from the repository root besides the packages' own (e.g. tests of repository tooling).",
      ),
    rollout: z
      .strictObject({
        strategy: z
          .enum(DEPLOY_STRATEGIES)
          .optional()
          .describe(
            "The rollout strategy of deploys that do not pass --strategy (default: gradual for production, immediate elsewhere).",
          ),
        unfinishedRun: z
          .enum(UNFINISHED_RUN_CHOICES)
          .optional()
          .describe(
            "What a deploy does when an earlier run to its environment was cut short (its journal has no end): recover (default) puts that run's services back on their pre-run versions first; refuse stops and names the recover command to run.",
          ),
      })
      .optional(),
    services: z
      .record(z.string(), workerSettings)
      .optional()
      .describe("Per-Worker settings, keyed by the Worker's name (its folder name)."),
  })
  .describe("Settings of the Workers pipeline for this repository (workers-pipeline.config.json).");

export type UnfinishedRunChoice = (typeof UNFINISHED_RUN_CHOICES)[number];

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
