import { readdir } from "node:fs/promises";
import { join } from "node:path";
import picomatch from "picomatch";
import { INSTALL_MANIFESTS, SOURCE_IGNORE, type Step, stepSourceFilter } from "#core";

/** The checkout as the step containers see it, before each step's own filter. */
export interface SourceTree {
  /** Repository-relative paths of files and symlinks outside SOURCE_IGNORE, sorted. */
  files: string[];
  /** Repository-relative node_modules folders (the root's, each package's), which are ignored. */
  nodeModules: string[];
}

const MATCH = { dot: true } as const;
const ignored = picomatch(SOURCE_IGNORE, MATCH);
const isNodeModules = picomatch("**/node_modules", MATCH);

/** Walks the checkout once, never descending into an ignored folder (node_modules above all). */
export async function readSourceTree(repoRoot: string): Promise<SourceTree> {
  const files: string[] = [];
  const nodeModules: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(repoRoot, dir), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
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
  const included = filter.include ? picomatch(filter.include, MATCH) : () => true;
  const excluded = picomatch(filter.exclude, MATCH);
  const manifest = picomatch(INSTALL_MANIFESTS, MATCH);
  const underExcluded = (path: string) => {
    const parts = path.split("/");
    return parts.some((_, index) => excluded(parts.slice(0, index + 1).join("/")));
  };
  return tree.files.filter((path) => manifest(path) || (included(path) && !underExcluded(path)));
}
