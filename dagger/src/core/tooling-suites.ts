/**
 * The pipeline's own tests, split into vitest projects of vitest.tooling.config.ts so the
 * scheduler can run them side by side as separate steps. Every test file belongs to exactly one
 * suite (tests/pipeline/tooling-suites.test.ts checks it), and workers-pipeline.config.json
 * declares each one as a root test step, longest first as measured alone (docs/benchmarks.md):
 * without step-duration history the scheduler starts them in that order.
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
export const TOOLING_TEST_FILES = "tests/{pipeline,dagger,workflows,deploy}/**/*.test.ts";

const DEPLOY_LOCAL = "tests/deploy/deploy-local.test.ts";
const LOCAL_CLOUD = "tests/deploy/local-cloud*.test.ts";
/** The control plane's traffic splits, with real traffic: most of their time is analysis windows. */
const LOCAL_CLOUD_ROLLOUTS = "tests/deploy/local-cloud-{rollout,gradual}.test.ts";
/**
 * The other tests that run real deploys (wrangler processes, workerd) from a copy of this
 * repository: minutes of mostly waiting on child processes, which made the pipeline suite the
 * longest step of `pnpm test` (7 min 41 s under load) while the rest of it takes seconds. Two
 * suites of under a minute each when run alone, so that no single step is the run's tail.
 */
const DEPLOY_HISTORY =
  "tests/deploy/{deploy-affected,deploy-deployed-base,deployed-base,dora-local}.test.ts";
const DEPLOY_INTERRUPT = "tests/deploy/{deploy-interrupt,cloudflare-api}.test.ts";

export const TOOLING_SUITES: readonly ToolingSuite[] = [
  { name: "local-cloud-rollouts", include: [LOCAL_CLOUD_ROLLOUTS] },
  { name: "deploy-history", include: [DEPLOY_HISTORY] },
  { name: "local-cloud", include: [LOCAL_CLOUD], exclude: [LOCAL_CLOUD_ROLLOUTS] },
  { name: "deploy-local", include: [DEPLOY_LOCAL] },
  { name: "deploy-interrupt", include: [DEPLOY_INTERRUPT] },
  {
    name: "pipeline",
    include: ["tests/{pipeline,workflows,deploy}/**/*.test.ts"],
    exclude: [DEPLOY_LOCAL, LOCAL_CLOUD, DEPLOY_HISTORY, DEPLOY_INTERRUPT],
    isolate: false,
  },
  { name: "dagger", include: ["tests/dagger/**/*.test.ts"], isolate: false },
];
