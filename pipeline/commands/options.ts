// Options several commands share; each command's own options live in its file.
import { ROLLOUT_OPTIONS } from "#core";

/** Flags of every command that runs part of the step graph. */
export const RUN_OPTIONS = {
  "keep-going": {
    description: "run every step whose needs passed instead of stopping at the first failure",
  },
  json: { value: "<file>", description: "also write the run report as JSON to <file>" },
  summary: {
    value: "<file>",
    description: "also write a Markdown summary to <file> ($GITHUB_STEP_SUMMARY gets one when set)",
  },
  concurrency: {
    value: "<n>",
    description:
      "how many steps run at once, a positive integer (default: one more than the number of cores)",
  },
  verbose: { description: "stream each step's output, each line prefixed with its step id" },
  "no-sandbox": {
    description:
      "run steps in the checkout instead of a sandbox holding only their inputs (and cache nothing)",
  },
  "no-cache": {
    description: "run every step, replaying none from the cache in .pipeline/cache",
  },
} as const;

export const RUN_WITH_SERVICE = {
  ...RUN_OPTIONS,
  service: {
    value: "<name>",
    multiple: true,
    description: "only this service's tests and its coverage check",
  },
} as const;

/** Checked by the command against the environments discovery finds (see env-flag.ts). */
export const ENV = { value: "<env>" } as const;
export const REPO = {
  repo: {
    value: "<path>",
    description: "the repository to work on (default: the one holding the current folder)",
  },
} as const;
export const REPORT_FILES = {
  json: { value: "<file>", description: "also write the report as JSON to <file>" },
  summary: {
    value: "<file>",
    description:
      "also write the report as Markdown to <file> ($GITHUB_STEP_SUMMARY gets it when set)",
  },
} as const;
type RolloutSpecs = typeof ROLLOUT_OPTIONS;
type RolloutFlagSpec<S> = S extends { choices: infer C }
  ? { readonly value: string; readonly description: string; readonly choices: C }
  : { readonly value: string; readonly description: string };

/** How traffic moves to new versions: the core's rollout options, as flags (deploy, release). */
export const ROLLOUT = Object.fromEntries(
  Object.values(ROLLOUT_OPTIONS).map((option) => [
    option.flag,
    {
      value: option.value,
      description: option.description,
      ...("choices" in option ? { choices: option.choices } : {}),
    },
  ]),
) as {
  readonly [K in keyof RolloutSpecs as RolloutSpecs[K]["flag"]]: RolloutFlagSpec<RolloutSpecs[K]>;
};

export const STATE_DIR = {
  "state-dir": {
    value: "<dir>",
    description: "where the control plane keeps its state (default: .local-cloud)",
  },
} as const;
