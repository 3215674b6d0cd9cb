import { DEPLOY_STRATEGIES } from "../../dagger/src/core/deploy/rollout-policy.js";
import {
  type CommandEntry,
  type CommandSpec,
  type GroupSpec,
  group,
  leaf,
} from "../command-spec.js";

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
} as const;

const RUN_WITH_SERVICE = {
  ...RUN_OPTIONS,
  service: {
    value: "<name>",
    multiple: true,
    description: "only this service's tests and its coverage check",
  },
} as const;

/** Checked by the command against the environments discovery finds (see env-flag.ts). */
const ENV = { value: "<env>" } as const;
const REPO = {
  repo: {
    value: "<path>",
    description: "the repository to work on (default: the one holding the current folder)",
  },
} as const;
const REPORT_FILES = {
  json: { value: "<file>", description: "also write the report as JSON to <file>" },
  summary: {
    value: "<file>",
    description:
      "also write the report as Markdown to <file> ($GITHUB_STEP_SUMMARY gets it when set)",
  },
} as const;
/** How traffic moves to new versions (rollout-policy.ts has the defaults and the checks). */
const ROLLOUT = {
  strategy: {
    value: "<strategy>",
    choices: DEPLOY_STRATEGIES,
    description:
      "gradual: upload, then 10% → 50% → 100% with each step judged on live metrics; immediate: all at once (default: gradual for production, immediate elsewhere)",
  },
  steps: {
    value: "<percentages>",
    description:
      "gradual: the new version's share at each step, rising, ending at 100 (default: 10,50,100)",
  },
  window: {
    value: "<seconds>",
    description:
      "gradual: how long each step below 100% serves before it is judged (default: 60; 5 for local)",
  },
  "max-error-rate": {
    value: "<percent>",
    description:
      "gradual: a step fails when the new version's error rate is above this (default: 5)",
  },
  "max-latency-ratio": {
    value: "<ratio>",
    description:
      "gradual: a step fails when the new version's p95 is above this multiple of the old version's and above 100 ms (default: 2)",
  },
} as const;

const STATE_DIR = {
  "state-dir": {
    value: "<dir>",
    description: "where the control plane keeps its state (default: .local-cloud)",
  },
} as const;

export const ci = {
  summary: "the whole graph: install, typecheck, lint, unit tests, integration, coverage gate",
  options: {
    ...RUN_OPTIONS,
    base: {
      value: "<ref>",
      description:
        "only the services affected since the merge base with <ref> (not with --service)",
    },
    service: {
      value: "<name>",
      multiple: true,
      description: "only this service (not with --base)",
    },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline ci --base origin/main",
    "pnpm run pipeline ci --keep-going --json ci-report.json --summary ci-summary.md",
  ],
} as const satisfies CommandSpec;

export const typecheck = {
  summary: "typecheck every package (tsgo, the native TypeScript compiler)",
  options: RUN_OPTIONS,
  examples: ["pnpm run pipeline typecheck", "pnpm run pipeline typecheck --verbose"],
} as const satisfies CommandSpec;

export const lint = {
  summary: "lint and format check (biome ci)",
  options: RUN_OPTIONS,
  examples: ["pnpm run pipeline lint", "pnpm run pipeline lint --summary lint-summary.md"],
} as const satisfies CommandSpec;

export const test = {
  summary:
    "unit tests of every service and of the tooling, integration tests, coverage gate; with --service, those services' tests and coverage",
  options: RUN_WITH_SERVICE,
  examples: [
    "pnpm run pipeline test --service gateway",
    "pnpm run pipeline test --service db --service auth --verbose",
  ],
} as const satisfies CommandSpec;

export const integration = {
  summary: "integration tests: all workers together in workerd",
  options: RUN_OPTIONS,
  examples: ["pnpm run pipeline integration", "pnpm run pipeline integration --verbose"],
} as const satisfies CommandSpec;

export const coverage = {
  summary: "unit tests with coverage and the 80% gate per service and for the pipeline code",
  options: RUN_WITH_SERVICE,
  examples: [
    "pnpm run pipeline coverage",
    "pnpm run pipeline coverage --service gateway --json coverage-report.json",
  ],
} as const satisfies CommandSpec;

export const affected = {
  summary: "the services affected since a git ref, one reason each",
  options: {
    base: {
      value: "<ref>",
      required: true,
      description: "compare with the merge base of <ref> (a branch, tag or commit)",
    },
    json: { description: "print JSON on stdout instead of text (warnings go to stderr)" },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline affected --base origin/main",
    "pnpm run pipeline affected --base HEAD~1 --json",
  ],
} as const satisfies CommandSpec;

export const graph = {
  summary: "the service graph (workspace dependencies and service bindings) and its deploy waves",
  options: {
    env: {
      ...ENV,
      description: "whose bindings to follow (default: production where declared, else local)",
    },
    json: { description: "print JSON on stdout instead of text" },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline graph --env staging",
    "pnpm run pipeline graph --repo ../other-repo --json",
  ],
} as const satisfies CommandSpec;

export const local = {
  summary: "the local Workers control plane that --env @local deploys to",
  examples: ["pnpm run pipeline local start", "pnpm run pipeline local status --json"],
  actions: {
    start: {
      summary: "start the control plane in the background, or reuse the running one",
      options: {
        port: {
          value: "<port>",
          default: "0",
          description: "port of its API when it starts, 0 for any free port (0-65535)",
        },
        ...STATE_DIR,
      },
      examples: ["pnpm run pipeline local start", "pnpm run pipeline local start --port 8787"],
    },
    stop: {
      summary: "stop the control plane and the workers it serves",
      options: STATE_DIR,
      examples: [
        "pnpm run pipeline local stop",
        "pnpm run pipeline local stop --state-dir /tmp/local-cloud",
      ],
    },
    status: {
      summary:
        "the control plane and each worker's health; exit code 0 all healthy, 1 a worker is unhealthy, 3 not running",
      options: { json: { description: "print JSON on stdout instead of text" }, ...STATE_DIR },
      examples: ["pnpm run pipeline local status", "pnpm run pipeline local status --json"],
    },
  },
} as const satisfies GroupSpec;

export const deploy = {
  summary: "deploy in waves with health checks, smoke tests and automatic rollback",
  options: {
    service: {
      value: "<name|all>",
      multiple: true,
      description: "a service, a comma-separated list or all; with --base, deploys the union",
    },
    env: {
      ...ENV,
      description:
        "the environment to deploy to, @local for the local control plane (the top level of each config) (required)",
    },
    base: {
      value: "<ref|deployed>",
      description:
        "also the services affected since <ref>; deployed: each service since the commit it serves",
    },
    "dry-run": { description: "print the waves and change nothing" },
    ...ROLLOUT,
    ...REPO,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline deploy --service all --env @local",
    "pnpm run pipeline deploy --base deployed --env production --dry-run --repo ../other-repo",
  ],
} as const satisfies CommandSpec;

export const rollback = {
  summary: "roll one service back and check its health",
  options: {
    // Not `required`: the command's own check names the services, which only the workspace knows.
    service: { value: "<name>", description: "the service to roll back (required)" },
    env: { ...ENV, description: "the environment to roll back in (required)" },
    to: {
      value: "<version-id>",
      description: "the version to serve (default: the previous 100% deployment)",
    },
    ...REPO,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline rollback --service gateway --env @local",
    "pnpm run pipeline rollback --service gateway --env production --to 6b2c1f8e-4d1a-4c3b-9a7e-2f0d5c8b1e94",
  ],
} as const satisfies CommandSpec;

export const release = {
  summary:
    "deploy to staging, validate health and smoke tests, then production; stops at the first failure",
  options: {
    service: {
      value: "<name|all>",
      multiple: true,
      description: "a service, a comma-separated list or all (default: all)",
    },
    ...ROLLOUT,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline release",
    "pnpm run pipeline release --service gateway --json release.json",
  ],
} as const satisfies CommandSpec;

export const dora = {
  summary:
    "DORA metrics of an environment from its deployment history and git, each with its DORA band",
  options: {
    env: { ...ENV, description: "whose deployments to read (required)" },
    since: {
      value: "<window>",
      default: "30d",
      description: "how far back from now: <n>h, <n>d or <n>w",
    },
    ...REPO,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline dora --env production",
    "pnpm run pipeline dora --env @local --since 7d --summary dora.md",
  ],
} as const satisfies CommandSpec;

/**
 * Every `pnpm run pipeline <name>` command: its options and examples here, its implementation
 * loaded only when it runs, so help and bad input cost no command's dependencies. Adding a
 * command is an entry here plus its module in this folder.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  ci: leaf(ci, () => import("./ci.js")),
  typecheck: leaf(typecheck, () => import("./typecheck.js")),
  lint: leaf(lint, () => import("./lint.js")),
  test: leaf(test, () => import("./test.js")),
  integration: leaf(integration, () => import("./integration.js")),
  coverage: leaf(coverage, () => import("./coverage.js")),
  affected: leaf(affected, () => import("./affected.js")),
  graph: leaf(graph, () => import("./graph.js")),
  local: group(local, () => import("./local.js")),
  deploy: leaf(deploy, () => import("./deploy.js")),
  rollback: leaf(rollback, () => import("./rollback.js")),
  release: leaf(release, () => import("./release.js")),
  dora: leaf(dora, () => import("./dora.js")),
};
