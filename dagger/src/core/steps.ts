import { COVERAGE_THRESHOLD } from "./coverage.js";
import type { ServiceCatalog } from "./services/catalog.js";
import { requireServices } from "./services/catalog.js";

export type StepKind = "command" | "coverage-gate";

export interface Step {
  id: string;
  title: string;
  kind: StepKind;
  /** argv, run from the repository root; absent for steps the core evaluates itself. */
  command?: string[];
  /** Ids of the steps that must pass first. */
  needs: string[];
  /** Repository paths (files or directories) the step reads; what a cache key must cover. */
  inputs: string[];
  /** The service a per-service step belongs to. */
  service?: string;
  /** For test steps: where vitest writes the coverage summary, repository-relative. */
  coverageSummary?: string;
  /** For the coverage gate: the minimum percentage for every metric. */
  coverageThreshold?: number;
}

export const CI_PARTS = [
  "install",
  "typecheck",
  "lint",
  "test",
  "tooling",
  "integration",
  "coverage",
] as const;
export type CiPart = (typeof CI_PARTS)[number];

export interface CiStepOptions {
  /** Which parts of the graph to include; default all. */
  parts?: readonly CiPart[];
  /** Services that get a test step (and a coverage check); default every service. */
  services?: readonly string[];
  coverageThreshold?: number;
  /**
   * Typecheck and lint only `services` and the integration tests (which import them) instead of
   * the whole repository: for `ci --base` when no root or tooling file changed.
   */
  scopeChecksToServices?: boolean;
}

export const INTEGRATION_PACKAGE = "@workers/integration-tests";
export const INTEGRATION_DIR = "tests/integration";

/** Root files every step reads: the toolchain, lockfile and shared configs. */
const ROOT_INPUTS = [
  "package.json",
  "pnpm-lock.yaml",
  "pnpm-workspace.yaml",
  "tsconfig.base.json",
  "tsconfig.worker.json",
];

/**
 * The CI step graph: install, then typecheck, lint/format and one test step per service (vitest
 * with coverage, run once) plus the pipeline's own tests, then integration after the unit tests,
 * and the coverage gate over the summaries the test steps wrote. Steps of excluded parts vanish
 * and so do the `needs` pointing at them.
 */
export function buildCiSteps(catalog: ServiceCatalog, options: CiStepOptions = {}): Step[] {
  const parts = new Set<CiPart>(options.parts ?? CI_PARTS);
  const services = options.services ? requireServices(catalog, options.services) : catalog.services;
  const allDirs = catalog.services.map((service) => service.dir);
  const scoped = options.scopeChecksToServices === true && options.services !== undefined;
  const checkedDirs = [...services.map((service) => service.dir), INTEGRATION_DIR];
  const testSteps: Step[] = services.map((service) => ({
    id: `test:${service.name}`,
    title: `unit tests of ${service.name} (with coverage)`,
    kind: "command",
    command: ["pnpm", "--filter", service.packageName, "run", "test"],
    needs: ["install"],
    inputs: [...ROOT_INPUTS, service.dir, ...dependencyDirs(catalog, service.name)],
    service: service.name,
    coverageSummary: `${service.dir}/coverage/coverage-summary.json`,
  }));
  const steps: Step[] = [
    {
      id: "install",
      title: "install dependencies (frozen lockfile)",
      kind: "command",
      command: ["pnpm", "install", "--frozen-lockfile"],
      needs: [],
      inputs: [...ROOT_INPUTS, ...allDirs.map((dir) => `${dir}/package.json`)],
    },
    {
      id: "typecheck",
      title: scoped ? "typecheck the affected packages" : "typecheck every package",
      kind: "command",
      command: scoped
        ? [
            "pnpm",
            ...[...services.map((service) => service.packageName), INTEGRATION_PACKAGE].flatMap(
              (name) => ["--filter", name],
            ),
            "run",
            "typecheck",
          ]
        : ["pnpm", "run", "typecheck"],
      needs: ["install"],
      inputs: scoped ? [...ROOT_INPUTS, ...checkedDirs] : ["."],
    },
    {
      id: "lint",
      title: scoped ? "lint and format check of the affected packages" : "lint and format check",
      kind: "command",
      command: ["pnpm", "exec", "biome", "ci", ...(scoped ? checkedDirs : ["."])],
      needs: ["install"],
      inputs: scoped ? ["biome.json", ...checkedDirs] : ["."],
    },
    ...(parts.has("test") ? testSteps : []),
    {
      id: "test:tooling",
      title: "tests of the pipeline, Dagger module, workflows and deploys",
      kind: "command",
      command: ["pnpm", "run", "test:tooling"],
      needs: ["install"],
      inputs: ["."],
    },
    {
      id: "integration",
      title: "integration tests (all workers in workerd)",
      kind: "command",
      command: ["pnpm", "--filter", INTEGRATION_PACKAGE, "run", "test"],
      needs: ["install", ...testSteps.map((step) => step.id)],
      inputs: [...ROOT_INPUTS, INTEGRATION_DIR, ...allDirs],
    },
    {
      id: "coverage",
      title: `coverage gate (${options.coverageThreshold ?? COVERAGE_THRESHOLD}% per service)`,
      kind: "coverage-gate",
      needs: testSteps.map((step) => step.id),
      inputs: testSteps.flatMap((step) => (step.coverageSummary ? [step.coverageSummary] : [])),
      coverageThreshold: options.coverageThreshold ?? COVERAGE_THRESHOLD,
    },
  ];
  const included = steps.filter((step) => parts.has(partOf(step)));
  const ids = new Set(included.map((step) => step.id));
  return included.map((step) => ({ ...step, needs: step.needs.filter((id) => ids.has(id)) }));
}

export function partOf(step: Step): CiPart {
  if (step.id === "test:tooling") {
    return "tooling";
  }
  if (step.id.startsWith("test:")) {
    return "test";
  }
  return step.id as CiPart;
}

/** A test imports its workspace dependencies' sources, so their directories are inputs too. */
function dependencyDirs(catalog: ServiceCatalog, name: string): string[] {
  const service = catalog.services.find((candidate) => candidate.name === name);
  return requireServices(catalog, service?.workspaceDependencies ?? []).map((dep) => dep.dir);
}
