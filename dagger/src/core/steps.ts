import type { ServiceCatalog } from "./services/catalog.js";
import { requireServices } from "./services/catalog.js";
import { PIPELINE_COVERAGE_SUBJECT, TOOLING_SUITES, toolingCoverageMap } from "./tooling-suites.js";

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
  /**
   * For test steps: what their coverage measures (a service, or the pipeline's own code); the
   * gate judges each subject on the merged maps of all the steps that measure it.
   */
  coverageSubject?: string;
  /** For test steps: where vitest writes istanbul's coverage map, repository-relative. */
  coverageMap?: string;
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
  /**
   * Libraries (by package name) that `scope` typechecks and lints besides `services`; they get no
   * test step of their own here.
   */
  libraries?: readonly string[];
  /**
   * For `ci --base` when no root or tooling file changed: typecheck and lint only `services`
   * (and the integration tests if their own files changed) instead of the whole repository, and
   * run only the integration flows that enter through one of `services` (all of them if the
   * integration tests changed). A flow entering through a service exercises everything that
   * service binds to, and affected detection already adds a service when something it binds to
   * changed, so the flows it leaves out touch nothing that changed.
   */
  scope?: { integrationChanged: boolean };
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
 * The CI step graph: install, then typecheck, lint/format, one test step per service (vitest with
 * coverage, run once) and one per suite of the pipeline's own tests (see tooling-suites.ts), then
 * integration after the unit tests, and the coverage gate over the maps the test steps wrote.
 * Steps of excluded parts vanish and so do the `needs` pointing at them.
 */
export function buildCiSteps(catalog: ServiceCatalog, options: CiStepOptions = {}): Step[] {
  const parts = new Set<CiPart>(options.parts ?? CI_PARTS);
  const services = options.services ? requireServices(catalog, options.services) : catalog.services;
  const allDirs = [...catalog.services, ...catalog.libraries]
    .map((pkg) => pkg.dir)
    .filter((dir) => dir !== INTEGRATION_DIR);
  const scope = options.services === undefined ? undefined : options.scope;
  const libraries = catalog.libraries.filter(
    (library) => library.dir !== INTEGRATION_DIR && options.libraries?.includes(library.name),
  );
  // catalogName: how the catalog knows it (a Worker by folder, a library by package name).
  const checked = [
    ...services.map((service) => ({
      catalogName: service.name,
      name: service.packageName,
      dir: service.dir,
    })),
    ...libraries.map((library) => ({
      catalogName: library.name,
      name: library.packageName,
      dir: library.dir,
    })),
    ...(scope?.integrationChanged
      ? [{ catalogName: INTEGRATION_PACKAGE, name: INTEGRATION_PACKAGE, dir: INTEGRATION_DIR }]
      : []),
  ];
  const checkedDirs = checked.map((pkg) => pkg.dir);
  // tsc resolves the types of every workspace package a checked one imports (mcp reads
  // @workers/db's sources, and those read their own imports): their folders are inputs too.
  const typecheckDirs = [
    ...new Set([
      ...checkedDirs,
      ...checked.flatMap((pkg) => dependencyDirs(catalog, pkg.catalogName)),
    ]),
  ];
  const testSteps: Step[] = services.map((service) => ({
    id: `test:${service.name}`,
    title: `unit tests of ${service.name} (with coverage)`,
    kind: "command",
    command: ["pnpm", "--filter", service.packageName, "run", "test"],
    needs: ["install"],
    inputs: [...ROOT_INPUTS, service.dir, ...dependencyDirs(catalog, service.name)],
    service: service.name,
    coverageSubject: service.name,
    coverageMap: `${service.dir}/coverage/coverage-final.json`,
  }));
  const toolingSteps: Step[] = TOOLING_SUITES.map((suite) => ({
    id: `${TOOLING_PREFIX}${suite.name}`,
    title: `pipeline tests: ${suite.name} (with coverage)`,
    kind: "command",
    command: [
      "pnpm",
      "run",
      "test:tooling",
      "--project",
      suite.name,
      "--coverage.enabled",
      `--coverage.reportsDirectory=${coverageDir(toolingCoverageMap(suite.name))}`,
    ],
    needs: ["install"],
    inputs: ["."],
    coverageSubject: PIPELINE_COVERAGE_SUBJECT,
    coverageMap: toolingCoverageMap(suite.name),
  }));
  const measured = [
    ...(parts.has("test") ? testSteps : []),
    ...(parts.has("tooling") ? toolingSteps : []),
  ];
  const threshold = catalog.settings.coverageThreshold;
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
      title: scope ? "typecheck the affected packages" : "typecheck every package",
      kind: "command",
      command: scope
        ? ["pnpm", ...checked.flatMap((pkg) => ["--filter", pkg.name]), "run", "typecheck"]
        : ["pnpm", "run", "typecheck"],
      needs: ["install"],
      inputs: scope ? [...ROOT_INPUTS, ...typecheckDirs] : ["."],
    },
    {
      id: "lint",
      title: scope ? "lint and format check of the affected packages" : "lint and format check",
      kind: "command",
      command: ["pnpm", "exec", "biome", "ci", ...(scope ? checkedDirs : ["."])],
      needs: ["install"],
      inputs: scope ? ["biome.json", ...checkedDirs] : ["."],
    },
    ...testSteps,
    ...toolingSteps,
    {
      id: "integration",
      title:
        scope && !scope.integrationChanged
          ? `integration flows through ${services.map((service) => service.name).join(", ")}`
          : "integration tests (all workers in workerd)",
      kind: "command",
      command: [
        "pnpm",
        "--filter",
        INTEGRATION_PACKAGE,
        "run",
        "test",
        ...(scope && !scope.integrationChanged
          ? [`--tags-filter=${services.map((service) => service.name).join(" || ")}`]
          : []),
      ],
      needs: ["install", ...testSteps.map((step) => step.id)],
      inputs: [...ROOT_INPUTS, INTEGRATION_DIR, ...allDirs],
    },
    {
      id: "coverage",
      title: `coverage gate (${threshold}% per service${parts.has("tooling") ? " and for the pipeline code" : ""})`,
      kind: "coverage-gate",
      needs: measured.map((step) => step.id),
      inputs: measured.flatMap((step) => (step.coverageMap ? [step.coverageMap] : [])),
      coverageThreshold: threshold,
    },
  ];
  const included = steps.filter((step) => parts.has(partOf(step)));
  const ids = new Set(included.map((step) => step.id));
  return included.map((step) => ({ ...step, needs: step.needs.filter((id) => ids.has(id)) }));
}

const TOOLING_PREFIX = "tooling:";

export function partOf(step: Step): CiPart {
  if (step.id.startsWith(TOOLING_PREFIX)) {
    return "tooling";
  }
  if (step.id.startsWith("test:")) {
    return "test";
  }
  return step.id as CiPart;
}

/** `services/db/coverage/coverage-final.json` -> `services/db/coverage`. */
export function coverageDir(mapPath: string): string {
  return mapPath.slice(0, mapPath.lastIndexOf("/"));
}

/**
 * A test imports its workspace dependencies' sources (and theirs, libraries included), so their
 * directories are inputs too.
 */
function dependencyDirs(catalog: ServiceCatalog, name: string): string[] {
  const packages = new Map(
    [...catalog.services, ...catalog.libraries].map((pkg) => [pkg.name, pkg] as const),
  );
  const seen = new Set<string>();
  const queue = [...(packages.get(name)?.workspaceDependencies ?? [])];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (!seen.has(next)) {
      seen.add(next);
      queue.push(...(packages.get(next)?.workspaceDependencies ?? []));
    }
  }
  return [...seen].flatMap((dependency) => {
    const dir = packages.get(dependency)?.dir;
    return dir === undefined || dependency === name ? [] : [dir];
  });
}
