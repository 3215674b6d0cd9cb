import { DEPLOY_STRATEGIES, type DeployStrategy } from "../config/deploy-strategies.js";
import type { DeployTarget } from "../services/catalog.js";
import {
  DEFAULT_LATENCY_FLOOR_MS,
  DEFAULT_MAX_ERROR_RATE,
  DEFAULT_MAX_LATENCY_RATIO,
  DEFAULT_MIN_SAMPLE,
  DEFAULT_STEPS,
  defaultBakeMs,
  defaultMaxWaitMs,
  defaultWindowMs,
  ROLLOUT_OPTIONS,
  type RolloutOptions,
} from "./rollout-options.js";

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
  /** Requests each version needs in a window before the window can pass or compare them. */
  minSample: number;
  /** How long a step may run past its window waiting for `minSample`, then it is inconclusive. */
  maxWaitMs: number;
  /** How often a window's telemetry is read: a failure stops it at the next poll. */
  pollMs: number;
  /** After 100%: how long the new version is judged against the old version's baseline; 0 skips. */
  bakeMs: number;
  /** Probe requests per second sent to each version during a window; 0 sends none. */
  probesPerSecond: number;
}

/**
 * A few polls per window, at most every 10 s (each poll is two telemetry queries), at least
 * every 250 ms apart (the local control plane answers at once).
 */
export function pollInterval(windowMs: number): number {
  return Math.min(10_000, Math.max(250, Math.round(windowMs / 8)));
}

export type Rollout = { strategy: "immediate" } | { strategy: "gradual"; policy: GradualPolicy };

export function defaultStrategy(target: DeployTarget): DeployStrategy {
  return target === "production" ? "gradual" : "immediate";
}

/** Bad rollout input: one line naming the option, what was wrong and what is valid. */
export class RolloutOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RolloutOptionError";
  }
}

/** The options only a gradual rollout reads, by their command-line flag. */
const GRADUAL_ONLY = Object.fromEntries(
  Object.entries(ROLLOUT_OPTIONS)
    .filter(([, option]) => option.gradualOnly)
    .map(([key, option]) => [key, `--${option.flag}`]),
) as Record<Exclude<keyof RolloutOptions, "strategy">, string>;

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
  const windowMs =
    options.window === undefined
      ? defaultWindowMs(target)
      : positive("--window", options.window, "a number of seconds > 0, e.g. 60") * 1000;
  return {
    strategy: "gradual",
    policy: {
      steps: options.steps === undefined ? DEFAULT_STEPS : parseSteps(options.steps),
      windowMs,
      maxErrorRate:
        options.maxErrorRate === undefined
          ? DEFAULT_MAX_ERROR_RATE
          : percent("--max-error-rate", options.maxErrorRate) / 100,
      maxLatencyRatio:
        options.maxLatencyRatio === undefined
          ? DEFAULT_MAX_LATENCY_RATIO
          : positive("--max-latency-ratio", options.maxLatencyRatio, "a number > 0, e.g. 2"),
      latencyFloorMs: DEFAULT_LATENCY_FLOOR_MS,
      minSample:
        options.minSample === undefined
          ? DEFAULT_MIN_SAMPLE
          : positive("--min-sample", options.minSample, "a number of requests > 0, e.g. 20"),
      maxWaitMs:
        options.maxWait === undefined
          ? defaultMaxWaitMs(target)
          : nonNegative("--max-wait", options.maxWait, "a number of seconds ≥ 0, e.g. 300") * 1000,
      pollMs: pollInterval(windowMs),
      bakeMs:
        options.bake === undefined
          ? defaultBakeMs(target)
          : nonNegative("--bake", options.bake, "a number of seconds ≥ 0, e.g. 900") * 1000,
      probesPerSecond:
        options.probes === undefined
          ? 0
          : nonNegative("--probes", options.probes, "a number of requests per second ≥ 0, e.g. 2"),
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

function nonNegative(option: string, text: string, valid: string): number {
  if (!NUMBER.test(text.trim()))
    throw new RolloutOptionError(`${option}: "${text}" is not ${valid}`);
  return Number(text);
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
