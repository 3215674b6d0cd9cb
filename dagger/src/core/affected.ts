import picomatch from "picomatch";
import { dependentsClosure } from "./graph.js";
import type { ServiceCatalog } from "./services/catalog.js";
import { integrationPackage } from "./steps.js";

/**
 * Facts about the repository's history, gathered by the host with git and pnpm (or by the Dagger
 * module in a container). The rules below stay pure so they can be tested without a repository.
 */
export interface ChangeProbe {
  isShallow(): Promise<boolean>;
  refExists(ref: string): Promise<boolean>;
  hasMergeBase(ref: string): Promise<boolean>;
  /** Repository paths changed since the merge base of `ref` and HEAD, working tree included. */
  changedFiles(ref: string): Promise<string[]>;
  /**
   * Package names selected by
   * `pnpm list -r --depth -1 --json --filter "...[<ref>]" --changed-files-ignore-pattern "**\/*.md"`
   * (changed packages and their workspace dependents).
   */
  pnpmChangedPackages(ref: string): Promise<string[]>;
}

export interface AffectedService {
  name: string;
  /** One line: which file changed, which service it depends on, or which global file changed. */
  reason: string;
}

/**
 * A library (a workspace package without a wrangler config) that changed or depends on one that
 * did, named by its package name like everywhere in the catalog: `ci --base` typechecks, lints and
 * tests it.
 */
export type AffectedLibrary = AffectedService;

export interface AffectedResult {
  base: string;
  /** "all": everything runs (global change, shallow clone...); "none": nothing needs to run. */
  scope: "all" | "some" | "none";
  services: AffectedService[];
  libraries: AffectedLibrary[];
  /** Why the pipeline's own tests must run, when they must. */
  tooling?: string;
  /** Why the integration tests must run, when they must. */
  integration?: string;
  /** One-line explanations of fallbacks (shallow clone, no merge base). */
  warnings: string[];
  changedFiles: string[];
}

export class MissingBaseRefError extends Error {
  constructor(readonly ref: string) {
    super(
      `--base ${ref}: no such git ref in this repository; pass an existing branch, tag or commit (e.g. origin/main, HEAD~1)`,
    );
    this.name = "MissingBaseRefError";
  }
}

/** Root-level files and folders whose change can alter any step's outcome. */
const GLOBAL_FILES = [
  "pnpm-lock.yaml",
  "package.json",
  "pnpm-workspace.yaml",
  "package-lock.json",
  "yarn.lock",
  ".yarnrc.yml",
  "bun.lock",
  "bun.lockb",
  "nx.json",
  "biome.json",
  "dagger.json",
  ".npmrc",
  "turbo.json",
];
const GLOBAL_PATTERNS = [/^tsconfig[^/]*\.json$/, /^vitest[^/]*\.config\.[cm]?[jt]s$/];
const GLOBAL_DIRS = ["dagger/", ".github/", "pipeline/"];

/** Docs affect nothing; as globs for the engine's directory filters (see isDocsFile). */
export const DOCS_GLOBS = ["**/*.md", "docs"];

export function isDocsFile(path: string): boolean {
  return path.endsWith(".md") || path.startsWith("docs/");
}

/**
 * The pipeline's own state in the repository it works on (step durations, the local control
 * plane): our .gitignore hides it, another repository's does not, and it is no change to test.
 */
const PIPELINE_STATE_DIRS = [".pipeline/", ".local-cloud/"];

export function isGlobalFile(path: string): boolean {
  return (
    GLOBAL_FILES.includes(path) ||
    GLOBAL_PATTERNS.some((pattern) => pattern.test(path)) ||
    GLOBAL_DIRS.some((dir) => path.startsWith(dir))
  );
}

export async function detectAffected(
  catalog: ServiceCatalog,
  probe: ChangeProbe,
  base: string,
): Promise<AffectedResult> {
  if (await probe.isShallow()) {
    return everything(catalog, base, [], "shallow clone: changes unknown", [
      `warning: shallow clone, so changes since ${base} cannot be determined; testing every service (fetch full history to test only what changed)`,
    ]);
  }
  if (!(await probe.refExists(base))) {
    throw new MissingBaseRefError(base);
  }
  if (!(await probe.hasMergeBase(base))) {
    return everything(catalog, base, [], `no merge base with ${base}: changes unknown`, [
      `warning: ${base} has no common ancestor with HEAD, so changes cannot be determined; testing every service`,
    ]);
  }
  // One after the other: pnpm writes temporary files (`_tmp_*`) into the repository while it
  // runs, and a concurrent listing of untracked files would count them as changes.
  const files = await probe.changedFiles(base);
  // pnpm reads only pnpm workspaces; in others the changed files alone decide.
  const manager = catalog.root.packageManager?.name ?? "pnpm";
  const packages = manager === "pnpm" ? await probe.pnpmChangedPackages(base) : [];
  return affectedFromChanges(catalog, base, files, packages);
}

/** The rules, from the changed files and pnpm's selection to the affected services. */
export function affectedFromChanges(
  catalog: ServiceCatalog,
  base: string,
  changedFiles: readonly string[],
  pnpmPackages: readonly string[],
): AffectedResult {
  const files = [...changedFiles].sort();
  const relevant = files.filter(
    (file) => !isDocsFile(file) && !PIPELINE_STATE_DIRS.some((dir) => file.startsWith(dir)),
  );
  const configured = picomatch(catalog.settings.globalFiles, { dot: true });
  // What the root tests cover (the config says): they need those tests, not the packages'.
  const rootTestInput = picomatch(catalog.settings.rootTestInputs, { dot: true });
  const globalFile = relevant.find((file) => isGlobalFile(file) || configured(file));
  if (globalFile !== undefined) {
    return everything(catalog, base, files, `global file ${globalFile} changed`);
  }
  const reasons = new Map<string, string>();
  let tooling: string | undefined;
  let integration: string | undefined;
  const integrationTests = integrationPackage(catalog);
  for (const file of relevant) {
    const owner = owningPackage(catalog, file);
    if (owner && owner.dir !== integrationTests?.dir) {
      if (!reasons.has(owner.name)) {
        reasons.set(owner.name, `changed: ${file}`);
      }
    } else if (owner) {
      integration ??= `changed: ${file}`;
    } else if (rootTestInput(file)) {
      tooling ??= `changed: ${file}`;
    } else {
      // A file no rule knows (a new root config, a deleted service): safer to run everything.
      return everything(catalog, base, files, `unclassified file ${file} changed`);
    }
  }
  addDependents(catalog, reasons);
  // pnpm's selection is authoritative for packages; anything it found that the file list did not
  // explain (a changed manifest it resolves differently, say) is still tested.
  for (const packageName of pnpmPackages) {
    const service = catalog.services.find((candidate) => candidate.packageName === packageName);
    const library = affectedLibraries(catalog).find((candidate) => candidate.name === packageName);
    if (service && !reasons.has(service.name)) {
      reasons.set(service.name, `selected by pnpm --filter "...[${base}]"`);
    } else if (library && !reasons.has(library.name)) {
      reasons.set(library.name, `selected by pnpm --filter "...[${base}]"`);
    } else if (packageName === integrationTests?.packageName) {
      integration ??= `selected by pnpm --filter "...[${base}]"`;
    }
  }
  addDependents(catalog, reasons);
  const services = catalog.services
    .filter((service) => reasons.has(service.name))
    .map((service) => ({ name: service.name, reason: reasons.get(service.name) as string }));
  const libraries = affectedLibraries(catalog)
    .filter((library) => reasons.has(library.name))
    .map((library) => ({ name: library.name, reason: reasons.get(library.name) as string }));
  if (services.length > 0 && integrationTests) {
    integration ??= `services changed: ${services.map((service) => service.name).join(", ")}`;
  }
  const nothing = services.length === 0 && libraries.length === 0 && !tooling && !integration;
  return {
    base,
    scope: nothing ? "none" : "some",
    services,
    libraries,
    ...(tooling ? { tooling } : {}),
    ...(integration ? { integration } : {}),
    warnings: [],
    changedFiles: files,
  };
}

/** The libraries affected detection reports: every one but the integration tests' package. */
function affectedLibraries(catalog: ServiceCatalog): ServiceCatalog["libraries"] {
  const integrationTests = integrationPackage(catalog);
  return catalog.libraries.filter((library) => library !== integrationTests);
}

/** The workspace package (service or library) whose folder holds `file`, the innermost one. */
function owningPackage(
  catalog: ServiceCatalog,
  file: string,
): { name: string; dir: string } | undefined {
  return [...catalog.services, ...catalog.libraries]
    .filter((pkg) => file.startsWith(`${pkg.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

/** pnpm sees only package.json dependencies; service bindings add the dependents it misses. */
function addDependents(catalog: ServiceCatalog, reasons: Map<string, string>): void {
  for (const [name, { via, kind }] of dependentsClosure(catalog, reasons.keys())) {
    if (!reasons.has(name)) {
      reasons.set(name, kind === "binding" ? `binds to ${via}` : `depends on ${via}`);
    }
  }
}

function everything(
  catalog: ServiceCatalog,
  base: string,
  files: string[],
  reason: string,
  warnings: string[] = [],
): AffectedResult {
  return {
    base,
    scope: "all",
    services: catalog.services.map((service) => ({ name: service.name, reason })),
    libraries: affectedLibraries(catalog).map((library) => ({ name: library.name, reason })),
    // Only what the repository has: root tests and integration tests are declared in its config.
    ...(catalog.settings.rootTests.length > 0 ? { tooling: reason } : {}),
    ...(integrationPackage(catalog) ? { integration: reason } : {}),
    warnings,
    changedFiles: files,
  };
}
