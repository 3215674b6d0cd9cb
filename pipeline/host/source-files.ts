import { readdir } from "node:fs/promises";
import { join } from "node:path";
import picomatch from "picomatch";
import { GIT_EXCLUDES, INSTALL_MANIFESTS, SOURCE_IGNORE, type Step, stepSourceFilter } from "#core";

/** The checkout as the step containers see it, before each step's own filter. */
export interface SourceTree {
  /** Repository-relative paths of files and symlinks outside SOURCE_IGNORE, sorted. */
  files: string[];
  /** Repository-relative node_modules folders (the root's, each package's), which are ignored. */
  nodeModules: string[];
}

const MATCH = { dot: true } as const;
const ignored = globMatcher(SOURCE_IGNORE);
const isNodeModules = (path: string) => path === "node_modules" || path.endsWith("/node_modules");

/**
 * Walks the checkout once, never descending into an ignored folder (node_modules above all), nor
 * into the git history, which every step's filter excludes: its objects were four files in five
 * of this checkout's, and a long-lived clone has many more.
 */
export async function readSourceTree(repoRoot: string): Promise<SourceTree> {
  const files: string[] = [];
  const nodeModules: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(repoRoot, dir), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
        if (GIT_EXCLUDES.includes(path)) return;
        if (ignored(path)) {
          if (entry.isDirectory() && isNodeModules(path)) nodeModules.push(path);
        } else if (entry.isDirectory()) {
          await walk(path);
        } else {
          files.push(path);
        }
      }),
    );
  };
  await walk("");
  return { files: files.sort(), nodeModules: nodeModules.sort() };
}

/**
 * The files a step's container holds: the install manifests (from the install layer) and the
 * step's own sources (see stepSourceFilter). A folder that matches an exclude loses everything
 * under it, as the engine's filter does.
 */
export function stepFiles(tree: SourceTree, step: Step): string[] {
  const filter = stepSourceFilter(step);
  const included = filter.include ? globMatcher(filter.include) : () => true;
  const excluded = globMatcher(filter.exclude);
  const manifest = globMatcher(INSTALL_MANIFESTS);
  const folderExcluded = inFolderWhere(excluded);
  const underExcluded = (path: string) => excluded(path) || folderExcluded(parentOf(path));
  return tree.files.filter((path) => manifest(path) || (included(path) && !underExcluded(path)));
}

/**
 * Whether `matches` holds for a folder or any folder above it: each folder is asked once, not
 * once per file under it.
 */
function inFolderWhere(matches: (dir: string) => boolean): (dir: string) => boolean {
  const folders = new Map<string, boolean>([["", false]]);
  const within = (dir: string): boolean => {
    let found = folders.get(dir);
    if (found === undefined) {
      found = matches(dir) || within(parentOf(dir));
      folders.set(dir, found);
    }
    return found;
  };
  return within;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

/**
 * picomatch's answer for a list of globs (dot files included), with the literal ones (`path`,
 * `path/**`, a name at any depth as in the manifests' pattern, a name's ending at any depth as
 * in the docs' exclude) looked up in sets: one regex per glob over every file of the checkout,
 * for every step, was most of a replayed run's planning time.
 */
export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const under = new Set<string>();
  const names = new Set<string>();
  const suffixes: string[] = [];
  const patterns: string[] = [];
  for (const glob of globs) {
    const folder = glob.endsWith("/**") ? glob.slice(0, -3) : undefined;
    const name = glob.startsWith("**/") ? glob.slice(3) : undefined;
    if (name !== undefined && !name.includes("/") && isLiteral(name)) {
      // `**/package.json`: that name at any depth, the top included.
      names.add(name);
    } else if (name?.startsWith("*") && !name.includes("/") && isLiteral(name.slice(1))) {
      // `**/*.md`: a name ending so, at any depth (`*` takes dot files too, as MATCH says).
      suffixes.push(name.slice(1));
    } else if (folder !== undefined && isLiteral(folder)) {
      under.add(folder);
      // picomatch's `folder/**` matches the folder itself too.
      exact.add(folder);
    } else if (isLiteral(glob)) {
      exact.add(glob);
    } else {
      patterns.push(glob);
    }
  }
  const others = patterns.length > 0 ? picomatch(patterns, MATCH) : () => false;
  const inUnder = inFolderWhere((dir) => under.has(dir));
  return (path) => {
    const slash = path.lastIndexOf("/");
    if (exact.has(path) || names.has(slash === -1 ? path : path.slice(slash + 1))) return true;
    if (suffixes.some((suffix) => path.endsWith(suffix))) return true;
    if (under.size > 0 && slash !== -1 && inUnder(path.slice(0, slash))) return true;
    return others(path);
  };
}

function isLiteral(glob: string): boolean {
  return !picomatch.scan(glob).isGlob && !glob.includes("\\");
}
