import type { DeployStrategy } from "./deploy-strategies.js";
import type { PipelineConfig, UnfinishedRunChoice } from "./pipeline-config.js";

export const COVERAGE_THRESHOLD = 80;

/** The repository-wide settings, defaults applied; per-Worker ones live on each ServiceInfo. */
export interface PipelineSettings {
  /** Minimum percentage for every coverage metric. */
  coverageThreshold: number;
  /** Globs of files whose change affects everything, besides the built-in global files. */
  globalFiles: string[];
  /**
   * How deploys replace versions unless told otherwise; unset, each environment's default
   * (gradual for production, immediate elsewhere; see rollout-policy.ts).
   */
  rolloutStrategy: DeployStrategy | undefined;
  /** A deploy finding a cut-short run to its environment recovers it first, or refuses. */
  unfinishedRun: UnfinishedRunChoice;
  /** The package whose tests run the Workers together, after the unit tests. */
  integrationTests?: IntegrationTests;
  /** Test steps run from the root besides the packages' own. */
  rootTests: RootTest[];
  /** Globs of the files outside the packages whose change runs the root tests. */
  rootTestInputs: string[];
}

export type IntegrationTests = NonNullable<PipelineConfig["integrationTests"]>;
export type RootTest = NonNullable<PipelineConfig["rootTests"]>["steps"][number];

export function pipelineSettings(config: PipelineConfig): PipelineSettings {
  return {
    coverageThreshold: config.thresholds?.coverage ?? COVERAGE_THRESHOLD,
    globalFiles: config.globalFiles ?? [],
    rolloutStrategy: config.rollout?.strategy,
    unfinishedRun: config.rollout?.unfinishedRun ?? "recover",
    ...(config.integrationTests ? { integrationTests: config.integrationTests } : {}),
    rootTests: config.rootTests?.steps ?? [],
    rootTestInputs: config.rootTests?.inputs ?? [],
  };
}
