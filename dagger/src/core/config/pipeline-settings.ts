import { COVERAGE_THRESHOLD } from "../coverage.js";
import type { PipelineConfig } from "./pipeline-config.js";
import { ROLLOUT_STRATEGIES } from "./pipeline-config.js";

export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/** The repository-wide settings, defaults applied; per-Worker ones live on each ServiceInfo. */
export interface PipelineSettings {
  /** Minimum percentage for every coverage metric. */
  coverageThreshold: number;
  /** Globs of files whose change affects everything, besides the built-in global files. */
  globalFiles: string[];
  /** How deploys replace versions unless told otherwise. */
  rolloutStrategy: RolloutStrategy;
}

export function pipelineSettings(config: PipelineConfig): PipelineSettings {
  return {
    coverageThreshold: config.thresholds?.coverage ?? COVERAGE_THRESHOLD,
    globalFiles: config.globalFiles ?? [],
    rolloutStrategy: config.rollout?.strategy ?? ROLLOUT_STRATEGIES[0],
  };
}
