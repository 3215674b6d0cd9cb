import picomatch from "picomatch";
import { DOCS_GLOBS } from "./affected.js";
import type { Step } from "./steps.js";

/**
 * What never leaves the developer's checkout for a run: installed and built output (each run
 * installs and builds its own), logs, secrets and the pipeline's local state. The Dagger module's
 * `source` argument ignores exactly this list (the introspector resolves the constant in its
 * decorator), and a host runner that copies a step's inputs leaves out the same paths.
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
 * Which repository paths a step is given, as include and exclude globs over the source (the
 * semantics of Dagger's `Directory.filter`: a glob matching a folder takes everything under it).
 */
export interface StepUpload {
  /** Absent: the whole repository. */
  include?: string[];
  exclude: string[];
}

/**
 * A step that names its inputs gets them without the docs, which affected detection already
 * treats as changing nothing: a docs-only edit reruns no such step. A step whose input is the
 * whole repository (`.`, the pipeline's own tests) gets the docs too, because its tests read
 * them: the READMEs' documented commands, docs/config.schema.json, fixture workspaces' `.md`.
 */
export function stepUpload(step: Pick<Step, "inputs">): StepUpload {
  if (step.inputs.includes(".")) {
    return { exclude: GIT_EXCLUDES };
  }
  return {
    include: step.inputs.flatMap((path) => [path, `${path}/**`]),
    exclude: [...GIT_EXCLUDES, ...DOCS_GLOBS],
  };
}

/** Whether `path` (repository-relative, `/`-separated) is among what `upload` gives a step. */
export function isUploaded(upload: StepUpload, path: string): boolean {
  if (matchesItOrAFolderOfIt(SOURCE_IGNORE, path)) return false;
  if (upload.include && !matchesItOrAFolderOfIt(upload.include, path)) return false;
  return !matchesItOrAFolderOfIt(upload.exclude, path);
}

function matchesItOrAFolderOfIt(globs: readonly string[], path: string): boolean {
  const matches = picomatch([...globs], { dot: true });
  const parts = path.split("/");
  return parts.some((_, index) => matches(parts.slice(0, index + 1).join("/")));
}
