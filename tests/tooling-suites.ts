import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers/paths.js";

/**
 * The pipeline's own tests, split into vitest projects of vitest.tooling.config.ts so the
 * scheduler runs them side by side as separate steps. workers-pipeline.config.json declares the
 * steps (their names and order, longest first as measured alone: without step-duration history
 * the scheduler starts them in that order); this file says which test files each one runs.
 * tests/tooling-suites.test.ts checks that every test file is in exactly one suite.
 */
export interface ToolingSuite {
  name: string;
  /** Globs relative to the repository root, as vitest's `include` and `exclude` take them. */
  include: string[];
  exclude?: string[];
  /**
   * false: the suite's files share one module cache instead of re-importing everything per file
   * (about a third less CPU for many small files). Only for files that mock no module and leave
   * no global changed.
   */
  isolate?: false;
}

/** Every test file of the pipeline's own tests: each must be in exactly one suite. */
export const TOOLING_TEST_FILES =
  "tests/{*.test.ts,core/**/*.test.ts,pipeline/**/*.test.ts,dagger/**/*.test.ts,workflows/**/*.test.ts}";

const DEPLOY_LOCAL = "tests/pipeline/commands/{deploy-local,local}.test.ts";
/** The control plane's traffic splits read by the core's rollout, with real traffic: mostly analysis windows. */
const LOCAL_CLOUD_ROLLOUTS = "tests/core/deploy/local-cloud-{rollout,gradual}.test.ts";
/**
 * The other tests that run real deploys (wrangler processes, workerd) from a copy of this
 * repository: minutes of mostly waiting on child processes. Two suites of under a minute each
 * when run alone, so that no single step is the run's tail.
 */
const DEPLOY_HISTORY = [
  "tests/pipeline/commands/{deploy-affected,deploy-deployed-base,dora-local}.test.ts",
  "tests/core/deploy/deployed-base.test.ts",
];
const DEPLOY_INTERRUPT = [
  "tests/pipeline/deploy/interrupts.test.ts",
  "tests/core/deploy/cloudflare-api.test.ts",
];

/** Reports opened in Chromium, and the dashboard followed live by one. */
const REPORTS_BROWSER = [
  "tests/core/reports/html/*.browser.test.ts",
  "tests/pipeline/commands/dashboard.test.ts",
];
/** Deploys of every service cut short by SIGKILL, a flaky API or a restart, then recovered. */
const DEPLOY_RECOVER = "tests/pipeline/deploy/deploy-recover.test.ts";
/**
 * Releases cut short in staging, then reconciled by the next release: a suite of its own, so
 * that it runs beside deploy-recover instead of after it (together they were the run's tail).
 */
const RELEASE_RECOVER = "tests/pipeline/commands/release-reconcile.test.ts";

const FILES_OF_SUITE: Record<string, Omit<ToolingSuite, "name">> = {
  "local-cloud-rollouts": { include: [LOCAL_CLOUD_ROLLOUTS] },
  "deploy-history": { include: DEPLOY_HISTORY },
  "deploy-local": { include: [DEPLOY_LOCAL] },
  "deploy-interrupt": { include: DEPLOY_INTERRUPT },
  "reports-browser": { include: REPORTS_BROWSER },
  "deploy-recover": { include: [DEPLOY_RECOVER] },
  "release-recover": { include: [RELEASE_RECOVER] },
  pipeline: {
    include: ["tests/*.test.ts", "tests/{core,pipeline,workflows}/**/*.test.ts"],
    exclude: [
      DEPLOY_LOCAL,
      LOCAL_CLOUD_ROLLOUTS,
      ...DEPLOY_HISTORY,
      ...DEPLOY_INTERRUPT,
      ...REPORTS_BROWSER,
      DEPLOY_RECOVER,
      RELEASE_RECOVER,
    ],
    isolate: false,
  },
  dagger: { include: ["tests/dagger/**/*.test.ts"], isolate: false },
};

/** The root test steps workers-pipeline.config.json declares for vitest.tooling.config.ts's projects. */
export function declaredSuiteNames(configText: string): string[] {
  const config = JSON.parse(configText) as {
    rootTests?: { steps?: { script: string; args?: string[] }[] };
  };
  return (config.rootTests?.steps ?? [])
    .filter((step) => step.script === "test:tooling")
    .map((step) => {
      const [flag, name] = step.args ?? [];
      if (flag !== "--project" || name === undefined) {
        throw new Error(
          `workers-pipeline.config.json: a test:tooling step must take --project <suite>; got ${JSON.stringify(step.args)}`,
        );
      }
      return name;
    });
}

/** The suites, in the config's order, each with its files; a suite without files is an error. */
export function toolingSuites(names: readonly string[]): ToolingSuite[] {
  return names.map((name) => {
    const files = FILES_OF_SUITE[name];
    if (files === undefined) {
      throw new Error(
        `tooling suite ${name} has no files in tests/tooling-suites.ts; valid: ${Object.keys(FILES_OF_SUITE).join(", ")}`,
      );
    }
    return { name, ...files };
  });
}

export const TOOLING_SUITES: readonly ToolingSuite[] = toolingSuites(
  declaredSuiteNames(readFileSync(join(REPO_ROOT, "workers-pipeline.config.json"), "utf8")),
);
