import { type DeployTarget, LOCAL_TARGET } from "../services/catalog.js";

/**
 * How a deploy moves traffic to a new version: `immediate` (`wrangler deploy`, 100% at once)
 * or `gradual` (`wrangler versions upload`, then `versions deploy` in steps, each below 100%
 * judged by an analysis window). Production defaults to gradual: it has the traffic that makes
 * a window meaningful, and the users a bad version would hurt.
 */
export const DEPLOY_STRATEGIES = ["gradual", "immediate"] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];

export interface GradualPolicy {
  /** The new version's share of traffic at each step, rising strictly, ending at 100. */
  steps: number[];
  /** How long each step below 100% serves traffic before it is judged. */
  windowMs: number;
  /** The new version fails a window when more than this share of its requests errored (0.05). */
  maxErrorRate: number;
  /** ... or when its p95 exceeds this multiple of the old version's p95 in the same window ... */
  maxLatencyRatio: number;
  /**
   * ... and this many milliseconds. A p95 over a 10% slice rests on few requests, and on a busy
   * machine (or a cold isolate) a healthy version's p95 doubled from 28 to 56 ms between two
   * windows in our own benchmark; below this, a "regression" is noise, not something users feel.
   */
  latencyFloorMs: number;
}

export type Rollout = { strategy: "immediate" } | { strategy: "gradual"; policy: GradualPolicy };

export const DEFAULT_STEPS = [10, 50, 100];
export const DEFAULT_MAX_ERROR_RATE = 0.05;
export const DEFAULT_MAX_LATENCY_RATIO = 2;
export const DEFAULT_LATENCY_FLOOR_MS = 100;

/** Cloudflare's analytics need a minute of traffic to say much; the local control plane seconds. */
export function defaultWindowMs(target: DeployTarget): number {
  return target === LOCAL_TARGET ? 5_000 : 60_000;
}

export function defaultStrategy(target: DeployTarget): DeployStrategy {
  return target === "production" ? "gradual" : "immediate";
}

/** What a command line (or a Dagger call) gave; absent means the default. */
export interface RolloutOptions {
  strategy?: string | undefined;
  steps?: string | undefined;
  /** Seconds. */
  window?: string | undefined;
  /** Percent. */
  maxErrorRate?: string | undefined;
  maxLatencyRatio?: string | undefined;
}

/** Bad rollout input: one line naming the option, what was wrong and what is valid. */
export class RolloutOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RolloutOptionError";
  }
}

const GRADUAL_ONLY = {
  steps: "--steps",
  window: "--window",
  maxErrorRate: "--max-error-rate",
  maxLatencyRatio: "--max-latency-ratio",
} as const;

/**
 * The rollout of one environment, checked whole before anything changes. The strategy is the
 * one asked for, else the repository's configured default (`rollout.strategy` in
 * workers-pipeline.config.json), else gradual for production and immediate elsewhere.
 */
export function resolveRollout(
  target: DeployTarget,
  options: RolloutOptions,
  configured?: DeployStrategy,
): Rollout {
  const strategy = options.strategy ?? configured ?? defaultStrategy(target);
  if (!(DEPLOY_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new RolloutOptionError(
      `--strategy: "${strategy}" is not a strategy; valid values: ${DEPLOY_STRATEGIES.join(", ")}`,
    );
  }
  if (strategy === "immediate") {
    const given = Object.entries(GRADUAL_ONLY).find(
      ([key]) => options[key as keyof typeof GRADUAL_ONLY] !== undefined,
    );
    if (given) {
      throw new RolloutOptionError(
        `${given[1]} only applies to --strategy gradual (${target} deploys immediate${options.strategy ? "" : configured ? " as workers-pipeline.config.json sets" : " by default"})`,
      );
    }
    return { strategy };
  }
  return {
    strategy: "gradual",
    policy: {
      steps: options.steps === undefined ? DEFAULT_STEPS : parseSteps(options.steps),
      windowMs:
        options.window === undefined
          ? defaultWindowMs(target)
          : positive("--window", options.window, "a number of seconds > 0, e.g. 60") * 1000,
      maxErrorRate:
        options.maxErrorRate === undefined
          ? DEFAULT_MAX_ERROR_RATE
          : percent("--max-error-rate", options.maxErrorRate) / 100,
      maxLatencyRatio:
        options.maxLatencyRatio === undefined
          ? DEFAULT_MAX_LATENCY_RATIO
          : positive("--max-latency-ratio", options.maxLatencyRatio, "a number > 0, e.g. 2"),
      latencyFloorMs: DEFAULT_LATENCY_FLOOR_MS,
    },
  };
}

const NUMBER = /^\d+(\.\d+)?$/;

function positive(option: string, text: string, valid: string): number {
  const value = Number(text);
  if (!NUMBER.test(text.trim()) || !(value > 0)) {
    throw new RolloutOptionError(`${option}: "${text}" is not ${valid}`);
  }
  return value;
}

function percent(option: string, text: string): number {
  const value = Number(text);
  if (!NUMBER.test(text.trim()) || value > 100) {
    throw new RolloutOptionError(`${option}: "${text}" is not a percentage from 0 to 100, e.g. 5`);
  }
  return value;
}

/** `10,50,100`: whole percentages from 1 to 100, rising strictly, the last one 100. */
export function parseSteps(text: string): number[] {
  const steps = text.split(",").map((part) => part.trim());
  const values = steps.map(Number);
  const valid =
    steps.every((step) => /^\d+$/.test(step)) &&
    values.every(
      (value, index) => value >= 1 && value <= 100 && value > (values[index - 1] ?? 0),
    ) &&
    values.at(-1) === 100;
  if (!valid) {
    throw new RolloutOptionError(
      `--steps: "${text}" is not a list of percentages from 1 to 100, rising, ending at 100, e.g. 10,50,100`,
    );
  }
  return values;
}
