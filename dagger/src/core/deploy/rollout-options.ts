import { DEPLOY_STRATEGIES } from "../config/deploy-strategies.js";
import { type DeployTarget, LOCAL_TARGET } from "../services/catalog.js";

// The rollout options of deploy and release, defined once: their names, defaults and help. The
// CLI builds its flags from ROLLOUT_OPTIONS, rollout-policy.ts checks values against the same
// defaults, and the Dagger functions take the same arguments (tests/dagger checks their names,
// since the module's introspector reads argument docs from JSDoc, not from constants).

export const DEFAULT_STEPS = [10, 50, 100];
export const DEFAULT_MAX_ERROR_RATE = 0.05;
export const DEFAULT_MAX_LATENCY_RATIO = 2;
export const DEFAULT_LATENCY_FLOOR_MS = 100;
export const DEFAULT_MIN_SAMPLE = 20;
const LOCAL_WINDOW_MS = 5_000;
const WINDOW_MS = 60_000;
const LOCAL_MAX_WAIT_MS = 20_000;
const MAX_WAIT_MS = 300_000;

/** Cloudflare's analytics need a minute of traffic to say much; the local control plane seconds. */
export function defaultWindowMs(target: DeployTarget): number {
  return target === LOCAL_TARGET ? LOCAL_WINDOW_MS : WINDOW_MS;
}

/** How long a step may wait past its window for the minimum sample before it gives up. */
export function defaultMaxWaitMs(target: DeployTarget): number {
  return target === LOCAL_TARGET ? LOCAL_MAX_WAIT_MS : MAX_WAIT_MS;
}

/**
 * The bake after 100%: the guide's Stage 4 watches error rates for the first 5 minutes and
 * response times for the first 15, so production bakes 15 minutes (both watched throughout);
 * staging 5; the local control plane a few seconds, enough to fire its crons and read them.
 */
const BAKE_MS: Record<string, number> = { local: 3_000, staging: 300_000, production: 900_000 };

export function defaultBakeMs(target: DeployTarget): number {
  return BAKE_MS[target] ?? BAKE_MS.staging ?? 0;
}

export interface RolloutOptionSpec {
  /** The command-line flag without its dashes; the Dagger argument is the camelCase key. */
  readonly flag: string;
  readonly value: string;
  readonly description: string;
  readonly choices?: readonly string[];
  /** Refused with --strategy immediate, which reads none of it. */
  readonly gradualOnly: boolean;
}

export const ROLLOUT_OPTIONS = {
  strategy: {
    flag: "strategy",
    value: "<strategy>",
    choices: DEPLOY_STRATEGIES,
    description:
      "gradual: upload, then move traffic in steps, each below 100% judged on live metrics; immediate: all at once (default: gradual for production, immediate elsewhere)",
    gradualOnly: false,
  },
  steps: {
    flag: "steps",
    value: "<percentages>",
    description: `gradual: the new version's share at each step, rising, ending at 100 (default: ${DEFAULT_STEPS.join(",")})`,
    gradualOnly: true,
  },
  window: {
    flag: "window",
    value: "<seconds>",
    description: `gradual: how long each step below 100% serves before it is judged (default: ${WINDOW_MS / 1000}; ${LOCAL_WINDOW_MS / 1000} for local)`,
    gradualOnly: true,
  },
  maxErrorRate: {
    flag: "max-error-rate",
    value: "<percent>",
    description: `gradual: a step fails when the new version's share of 5xx responses is above this (default: ${DEFAULT_MAX_ERROR_RATE * 100})`,
    gradualOnly: true,
  },
  maxLatencyRatio: {
    flag: "max-latency-ratio",
    value: "<ratio>",
    description: `gradual: a step fails when the new version's p95 is above this multiple of the old version's and above ${DEFAULT_LATENCY_FLOOR_MS} ms (default: ${DEFAULT_MAX_LATENCY_RATIO})`,
    gradualOnly: true,
  },
  minSample: {
    flag: "min-sample",
    value: "<requests>",
    description: `gradual: requests each version needs in a window before it can pass or be compared (default: ${DEFAULT_MIN_SAMPLE})`,
    gradualOnly: true,
  },
  maxWait: {
    flag: "max-wait",
    value: "<seconds>",
    description: `gradual: how long a step waits past its window for the minimum sample before it fails as inconclusive (default: ${MAX_WAIT_MS / 1000}; ${LOCAL_MAX_WAIT_MS / 1000} for local)`,
    gradualOnly: true,
  },
  bake: {
    flag: "bake",
    value: "<seconds>",
    description: `gradual: after 100%, how long the new version is watched against the old version's pre-deploy baseline and rolled back on the same tests; 0 skips it (default: ${(BAKE_MS.production ?? 0) / 1000} for production, ${(BAKE_MS.staging ?? 0) / 1000} for staging, ${(BAKE_MS.local ?? 0) / 1000} for local)`,
    gradualOnly: true,
  },
  probes: {
    flag: "probes",
    value: "<per-second>",
    description:
      "gradual: probe requests per second sent to each version during its windows, built from the service's smoke tests and pinned by version override; reported apart from users' traffic (default: 0, none)",
    gradualOnly: true,
  },
} as const satisfies Record<string, RolloutOptionSpec>;

/** What a command line (or a Dagger call) gave, by option; absent means the default. */
export type RolloutOptions = { [K in keyof typeof ROLLOUT_OPTIONS]?: string | undefined };
