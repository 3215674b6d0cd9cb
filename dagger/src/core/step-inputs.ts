import picomatch from "picomatch";
import { DOCS_GLOBS } from "./affected.js";
import { coverageDir, type Step } from "./steps.js";

// What a step may read, defined once for both runners: the Dagger module uploads exactly this
// into the step's container, and the host runner links exactly this into the step's sandbox. A
// step that reads anything else fails in both places alike, so the host proves what the
// containers will see, and a cache keyed by these files cannot miss a change.

/**
 * What never leaves the developer's checkout: build output, caches, local state and secrets.
 * The module's `--source` argument ignores it, and the host sandbox never links it.
 */
export const SOURCE_IGNORE = [
  "**/node_modules",
  "**/coverage",
  "**/.wrangler",
  "**/dist",
  "**/.turbo",
  "**/*.log",
  "**/.env",
  "**/.dev.vars",
  ".dagger-local",
  ".local-cloud",
  ".pipeline",
  "dagger/sdk",
];

/**
 * Steps never see the git history: a new commit with identical files must not rerun them. Only
 * git's own questions (affected detection, a deploy's origin) are asked where `.git` is.
 */
export const GIT_EXCLUDES = [".git"];

/**
 * What `pnpm install` reads. Every step has them (in a container, from the install layer), and
 * the install sees only these, so it stays cached across source edits.
 */
export const INSTALL_MANIFESTS = [
  "package.json",
  "**/package.json",
  "pnpm-lock.yaml",
  "pnpm-workspace.yaml",
  ".npmrc",
];

/**
 * The step that writes node_modules, which every other step then reads: it runs in the checkout
 * (on the host) or builds the layer the others start from (in containers), never in a sandbox.
 */
export const INSTALL_STEP_ID = "install";

/** A step's sources as globs over the repository, after SOURCE_IGNORE. */
export interface StepSourceFilter {
  /** Absent: the whole repository. */
  include?: string[];
  exclude: string[];
}

/**
 * A step's own inputs, without git history: a new commit with identical files must not rerun
 * it. Steps of one package's folders also go without docs, which affected detection treats as
 * affecting nothing; steps that read the whole repository keep them, since the tooling suites
 * read README.md, pipeline/README.md, docs/config.schema.json and fixture `.md` files.
 */
export function stepSourceFilter(step: Step): StepSourceFilter {
  if (step.inputs.includes(".")) {
    return { exclude: GIT_EXCLUDES };
  }
  return {
    include: step.inputs.flatMap((path) => [path, `${path}/**`]),
    exclude: [...GIT_EXCLUDES, ...DOCS_GLOBS],
  };
}

/** The folders a step writes that the pipeline reads afterwards: its coverage map's. */
export function stepOutputDirs(step: Step): string[] {
  return step.coverageMap === undefined ? [] : [coverageDir(step.coverageMap)];
}

/** Whether `path` (repository-relative, `/`-separated) is among the files `filter` gives a step. */
export function isUploaded(filter: StepSourceFilter, path: string): boolean {
  if (matchesItOrAFolderOfIt(SOURCE_IGNORE, path)) return false;
  if (filter.include && !matchesItOrAFolderOfIt(filter.include, path)) return false;
  return !matchesItOrAFolderOfIt(filter.exclude, path);
}

function matchesItOrAFolderOfIt(globs: readonly string[], path: string): boolean {
  const matches = picomatch([...globs], { dot: true });
  const parts = path.split("/");
  return parts.some((_, index) => matches(parts.slice(0, index + 1).join("/")));
}
