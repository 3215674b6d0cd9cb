import type { RolloutOptions } from "#core";

/** The rollout flags as the core's resolveRollout takes them (deploy and release share them). */
export function rolloutOptions(flags: {
  strategy?: string | undefined;
  steps?: string | undefined;
  window?: string | undefined;
  "max-error-rate"?: string | undefined;
  "max-latency-ratio"?: string | undefined;
}): RolloutOptions {
  return {
    strategy: flags.strategy,
    steps: flags.steps,
    window: flags.window,
    maxErrorRate: flags["max-error-rate"],
    maxLatencyRatio: flags["max-latency-ratio"],
  };
}
