import { type PackageManagerCommands, packageManagerCommands } from "./package-manager.js";
import type { LibraryInfo, ServiceCatalog, ServiceInfo } from "./services/catalog.js";
import { BIOME_CONFIG_FILES, requireServices } from "./services/catalog.js";

/** no-tests: a package without a `test` script, reported as such rather than run or failed. */
export type StepKind = "command" | "coverage-gate" | "no-tests";

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
   * For test steps: what their coverage measures (a package, or what a root test covers); the
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
  "build",
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
  /**
   * Services that get a test step (and a coverage check), with the libraries they depend on;
   * default every workspace package.
   */
  services?: readonly string[];
  /**
   * Libraries (by package name) that changed: `scope` typechecks and lints them besides
   * `services`, and their tests run even when no selected service depends on them.
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

/**
 * Root files every step reads: the toolchain, lockfile and shared configs (the packages' tsconfigs
 * extend tsconfig.worker.json, or for host code tsconfig.node.json, and both tsconfig.base.json).
 */
const ROOT_INPUTS = [
  "package.json",
  "pnpm-lock.yaml",
  "pnpm-workspace.yaml",
  "package-lock.json",
  "yarn.lock",
  ".yarnrc.yml",
  "bun.lock",
  "bun.lockb",
  "tsconfig.base.json",
  "tsconfig.worker.json",
  "tsconfig.node.json",
];

type WorkspacePackage = ServiceInfo | LibraryInfo;

/**
 * The CI step graph, from the repository's own scripts: install, then typecheck and lint (see
 * checkSteps), one test step per workspace package (its `test` script; a package without one
 * shows as "no tests"), the root tests its pipeline config declares, the integration package
 * after the unit tests, and the coverage gate over the maps the test steps wrote. Steps of
 * excluded parts vanish and so do the `needs` pointing at them.
 */
export function buildCiSteps(catalog: ServiceCatalog, options: CiStepOptions = {}): Step[] {
  const parts = new Set<CiPart>(options.parts ?? CI_PARTS);
  const services = options.services ? requireServices(catalog, options.services) : catalog.services;
  const integration = integrationPackage(catalog);
  const all: WorkspacePackage[] = [...catalog.services, ...catalog.libraries];
  const allDirs = all.map((pkg) => pkg.dir).filter((dir) => dir !== integration?.dir);
  const scope = options.services === undefined ? undefined : options.scope;
  const changedLibraries = catalog.libraries.filter(
    (library) => library !== integration && options.libraries?.includes(library.name),
  );
  const checked = scope
    ? [
        ...services,
        ...changedLibraries,
        ...(scope.integrationChanged && integration ? [integration] : []),
      ]
    : undefined;
  const testSteps = testedPackages(
    catalog,
    services,
    changedLibraries,
    options.services !== undefined,
  )
    .filter((pkg) => pkg !== integration)
    .map((pkg) => testStep(catalog, pkg));
  const ranTests = testSteps.filter((step) => step.kind === "command");
  const rootTestSteps = rootTests(catalog);
  const measured = [
    ...(parts.has("test") ? testSteps : []),
    ...(parts.has("tooling") ? rootTestSteps : []),
  ].filter((step) => step.coverageSubject !== undefined);
  const threshold = catalog.settings.coverageThreshold;
  const steps: Step[] = [
    {
      id: "install",
      title: "install dependencies (frozen lockfile)",
      kind: "command",
      command: commands(catalog).install,
      needs: [],
      inputs: [...ROOT_INPUTS, ...allDirs.map((dir) => `${dir}/package.json`)],
    },
    ...buildSteps(catalog, all),
    ...typecheckSteps(catalog, checked),
    ...lintSteps(catalog, checked),
    ...testSteps,
    ...rootTestSteps,
    ...(integration
      ? [integrationStep(catalog, integration, services, ranTests, allDirs, scope)]
      : []),
    // The gate applies where coverage is produced: no measuring step, no gate.
    ...(measured.length === 0
      ? []
      : [
          {
            id: "coverage",
            title: `coverage gate (${threshold}% for ${[...new Set(measured.map((step) => step.coverageSubject))].join(", ")})`,
            kind: "coverage-gate" as const,
            needs: measured.map((step) => step.id),
            inputs: measured.flatMap((step) => (step.coverageMap ? [step.coverageMap] : [])),
            coverageThreshold: threshold,
          },
        ]),
  ];
  // Builds are whatever the checks and tests that run read: included with any of them.
  const building = BUILT_FOR.some((part) => parts.has(part));
  const included = steps.filter((step) =>
    partOf(step) === "build" ? building : parts.has(partOf(step)),
  );
  const ids = new Set(included.map((step) => step.id));
  const builds = included.filter((step) => partOf(step) === "build").map((step) => step.id);
  return included.map((step) => ({
    ...step,
    needs: [
      ...step.needs,
      // A package's build output (dist/, generated types) is what its dependents import.
      ...(BUILT_FOR.includes(partOf(step)) ? builds : []),
    ].filter((id, index, all) => ids.has(id) && all.indexOf(id) === index),
  }));
}

const TOOLING_PREFIX = "tooling:";
/** The parts that read what the packages' `build` scripts produce. */
const BUILT_FOR: readonly CiPart[] = ["typecheck", "test", "tooling", "integration"];
/** Prefixes of the parts made of one step per package or per declared test. */
const PART_PREFIXES: readonly [string, CiPart][] = [
  ["build:", "build"],
  [TOOLING_PREFIX, "tooling"],
  ["test:", "test"],
  ["typecheck:", "typecheck"],
  ["lint:", "lint"],
];

export function partOf(step: Step): CiPart {
  const prefixed = PART_PREFIXES.find(([prefix]) => step.id.startsWith(prefix));
  return prefixed ? prefixed[1] : (step.id as CiPart);
}

/** `services/db/coverage/coverage-final.json` -> `services/db/coverage`. */
export function coverageDir(mapPath: string): string {
  return mapPath.slice(0, mapPath.lastIndexOf("/"));
}

/** The package the pipeline config names as the integration tests, if any. */
export function integrationPackage(catalog: ServiceCatalog): WorkspacePackage | undefined {
  const name = catalog.settings.integrationTests?.package;
  return [...catalog.services, ...catalog.libraries].find((pkg) => pkg.packageName === name);
}

/**
 * Every package, or for a selection of services those services, the libraries they depend on
 * (through other libraries too) and the libraries that changed: a changed library selects its
 * dependents, and its own tests belong to the same run, even when no Worker uses it yet.
 */
function testedPackages(
  catalog: ServiceCatalog,
  services: readonly ServiceInfo[],
  changedLibraries: readonly LibraryInfo[],
  selected: boolean,
): WorkspacePackage[] {
  if (!selected) {
    return [...catalog.services, ...catalog.libraries];
  }
  const used = new Set([
    ...services.flatMap((service) => dependencyNames(catalog, service.name)),
    ...changedLibraries.map((library) => library.name),
  ]);
  return [...services, ...catalog.libraries.filter((library) => used.has(library.name))];
}

/** Vitest and jest both take `--coverage`; `--coverage=false` or `.enabled=false` turn it off. */
const COVERAGE_FLAG = /--coverage(?![.=]?(?:enabled=)?false)\b/;

/**
 * A package's `test` script, run through pnpm in its folder. Its coverage is gated when the
 * script asks for coverage (`--coverage`): the map is then where vitest writes it by default.
 */
function testStep(catalog: ServiceCatalog, pkg: WorkspacePackage): Step {
  const isService = "wranglerFile" in pkg;
  const script = pkg.scripts.test;
  const owner = isService ? { service: pkg.name } : {};
  if (script === undefined) {
    return {
      id: `test:${pkg.name}`,
      title: `${pkg.name}: no tests (${pkg.dir}/package.json has no test script)`,
      kind: "no-tests",
      needs: [],
      inputs: [`${pkg.dir}/package.json`],
      ...owner,
    };
  }
  const coverage = COVERAGE_FLAG.test(script);
  return {
    id: `test:${pkg.name}`,
    title: `unit tests of ${pkg.name}${coverage ? " (with coverage)" : ""}`,
    kind: "command",
    command: commands(catalog).run(pkg, "test"),
    needs: ["install"],
    inputs: [...ROOT_INPUTS, pkg.dir, ...dependencyDirs(catalog, pkg.name)],
    ...owner,
    ...(coverage
      ? { coverageSubject: pkg.name, coverageMap: `${pkg.dir}/coverage/coverage-final.json` }
      : {}),
  };
}

/** The root tests the pipeline config declares; vitest writes each one's coverage to its own folder. */
function rootTests(catalog: ServiceCatalog): Step[] {
  return catalog.settings.rootTests.map((test) => {
    const map = `coverage/tooling/${test.name}/coverage-final.json`;
    return {
      id: `${TOOLING_PREFIX}${test.name}`,
      title: `root tests: ${test.name}${test.coverageSubject ? " (with coverage)" : ""}`,
      kind: "command",
      command: commands(catalog).runRoot(test.script, [
        ...(test.args ?? []),
        ...(test.coverageSubject
          ? ["--coverage.enabled", `--coverage.reportsDirectory=${coverageDir(map)}`]
          : []),
      ]),
      needs: ["install"],
      inputs: ["."],
      ...(test.coverageSubject ? { coverageSubject: test.coverageSubject, coverageMap: map } : {}),
    };
  });
}

function integrationStep(
  catalog: ServiceCatalog,
  integration: WorkspacePackage,
  services: readonly ServiceInfo[],
  unitTests: readonly Step[],
  allDirs: readonly string[],
  scope: CiStepOptions["scope"],
): Step {
  const filter = catalog.settings.integrationTests?.workerFilter;
  const through =
    scope && !scope.integrationChanged && filter !== undefined
      ? services.map((service) => service.name)
      : undefined;
  return {
    id: "integration",
    title: through
      ? `integration flows through ${through.join(", ")}`
      : `integration tests (${integration.packageName})`,
    kind: "command",
    command: commands(catalog).run(
      integration,
      "test",
      through ? [`${filter}=${through.join(" || ")}`] : [],
    ),
    needs: ["install", ...unitTests.map((step) => step.id)],
    inputs: [...ROOT_INPUTS, integration.dir, ...allDirs],
  };
}

/**
 * A step per package with a `build` script, after the builds of the packages it depends on: a
 * library that compiles to dist/ must be built before anything that imports it is checked or
 * tested. Packages without one (most Workers: wrangler bundles them) have no build step.
 */
function buildSteps(catalog: ServiceCatalog, packages: readonly WorkspacePackage[]): Step[] {
  const built = new Set(
    packages.filter((pkg) => pkg.scripts.build !== undefined).map((pkg) => pkg.name),
  );
  return packages
    .filter((pkg) => built.has(pkg.name))
    .map((pkg) => ({
      id: `build:${pkg.name}`,
      title: `build ${pkg.name}`,
      kind: "command" as const,
      command: commands(catalog).run(pkg, "build"),
      needs: [
        "install",
        ...dependencyNames(catalog, pkg.name)
          .filter((name) => built.has(name))
          .map((name) => `build:${name}`),
      ],
      inputs: [...ROOT_INPUTS, pkg.dir, ...dependencyDirs(catalog, pkg.name)],
    }));
}

/**
 * Typecheck: the root `typecheck` script (scoped to the affected packages that have a `typecheck`
 * script of their own, when some do); without one, a step per package: its `typecheck` script,
 * else `tsc --noEmit` on its tsconfig.json; a package with neither is not typechecked.
 */
function typecheckSteps(catalog: ServiceCatalog, checked?: readonly WorkspacePackage[]): Step[] {
  if (catalog.root.scripts.typecheck !== undefined) {
    const scoped = checked?.filter((pkg) => pkg.scripts.typecheck !== undefined);
    const filtered = scoped !== undefined && scoped.length > 0 ? scoped : undefined;
    return [
      {
        id: "typecheck",
        title: filtered ? "typecheck the affected packages" : "typecheck every package",
        kind: "command",
        command: filtered
          ? commands(catalog).runEach(filtered, "typecheck")
          : commands(catalog).runRoot("typecheck"),
        needs: ["install"],
        // tsc resolves the types of every workspace package a checked one imports (mcp reads
        // @workers/db's sources, and those read their own imports): their folders are inputs.
        inputs: filtered
          ? [
              ...ROOT_INPUTS,
              ...new Set(
                filtered.flatMap((pkg) => [pkg.dir, ...dependencyDirs(catalog, pkg.name)]),
              ),
            ]
          : ["."],
      },
    ];
  }
  return (checked ?? [...catalog.services, ...catalog.libraries]).flatMap((pkg): Step[] => {
    const command =
      pkg.scripts.typecheck !== undefined
        ? commands(catalog).run(pkg, "typecheck")
        : pkg.hasTsconfig
          ? commands(catalog).exec(pkg, "tsc", ["--noEmit", "-p", "tsconfig.json"])
          : undefined;
    return command
      ? [
          {
            id: `typecheck:${pkg.name}`,
            title: `typecheck ${pkg.name}`,
            kind: "command",
            command,
            needs: ["install"],
            inputs: [...ROOT_INPUTS, pkg.dir, ...dependencyDirs(catalog, pkg.name)],
          },
        ]
      : [];
  });
}

/**
 * What biome reads at the root besides the folders it checks: its config, the ignore files its
 * `vcs.useIgnoreFile` follows (without the root .gitignore it stops with "couldn't find an
 * ignore file"), the .editorconfig its formatter follows by default, and the root manifest.
 * A name that is not there is simply not in the sandbox or the key.
 */
const BIOME_ROOT_FILES = [
  ...BIOME_CONFIG_FILES,
  ".gitignore",
  ".ignore",
  ".editorconfig",
  "package.json",
];

/**
 * Lint: a root biome config runs `biome ci` (lint and format, scoped to the affected folders);
 * else the root `lint` script; else a root eslint config runs eslint (scoped likewise); else a
 * step per package with a `lint` script; else no lint step.
 */
function lintSteps(catalog: ServiceCatalog, checked?: readonly WorkspacePackage[]): Step[] {
  const dirs = checked?.map((pkg) => pkg.dir);
  const single = (title: string, command: string[], inputs: string[]): Step[] => [
    { id: "lint", title, kind: "command", command, needs: ["install"], inputs },
  ];
  const scopedTitle = dirs ? " of the affected packages" : "";
  if (catalog.root.linter === "biome") {
    return single(
      `lint and format check${scopedTitle}`,
      commands(catalog).execRoot("biome", ["ci", ...(dirs ?? ["."])]),
      dirs ? [...BIOME_ROOT_FILES, ...dirs] : ["."],
    );
  }
  if (catalog.root.scripts.lint !== undefined) {
    return single("lint (the root lint script)", commands(catalog).runRoot("lint"), ["."]);
  }
  if (catalog.root.linter === "eslint") {
    return single(`eslint${scopedTitle}`, commands(catalog).execRoot("eslint", dirs ?? ["."]), [
      ".",
    ]);
  }
  return (checked ?? [...catalog.services, ...catalog.libraries])
    .filter((pkg) => pkg.scripts.lint !== undefined)
    .map((pkg) => ({
      id: `lint:${pkg.name}`,
      title: `lint ${pkg.name}`,
      kind: "command" as const,
      command: commands(catalog).run(pkg, "lint"),
      needs: ["install"],
      inputs: [...ROOT_INPUTS, pkg.dir],
    }));
}

/** The repository's package manager's commands (pnpm when discovery did not say). */
function commands(catalog: ServiceCatalog): PackageManagerCommands {
  return packageManagerCommands(catalog.root.packageManager ?? { name: "pnpm", source: "default" });
}

/** Names of the workspace packages `name` depends on, through other packages too. */
function dependencyNames(catalog: ServiceCatalog, name: string): string[] {
  const packages = new Map(
    [...catalog.services, ...catalog.libraries].map((pkg) => [pkg.name, pkg] as const),
  );
  const seen = new Set<string>();
  const queue = [...(packages.get(name)?.workspaceDependencies ?? [])];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (!seen.has(next) && next !== name) {
      seen.add(next);
      queue.push(...(packages.get(next)?.workspaceDependencies ?? []));
    }
  }
  return [...seen];
}

/**
 * A test imports its workspace dependencies' sources (and theirs, libraries included), so their
 * directories are inputs too.
 */
function dependencyDirs(catalog: ServiceCatalog, name: string): string[] {
  const dirs = new Map(
    [...catalog.services, ...catalog.libraries].map((pkg) => [pkg.name, pkg.dir] as const),
  );
  return dependencyNames(catalog, name).flatMap((dependency) => {
    const dir = dirs.get(dependency);
    return dir === undefined ? [] : [dir];
  });
}
