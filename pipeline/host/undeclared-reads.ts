import { lstat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { Step } from "#core";

/** `ENOENT: no such file or directory, open '<path>'`, as Node words it (vitest and vite quote it too). */
const MISSING_PATH = /ENOENT[^'"\n]*['"]([^'"\n]+)['"]/g;

/**
 * Lines naming the files a failed step looked for that its sandbox lacks but the checkout has:
 * reads outside its inputs, which fail the same way in its container. A relative path is tried
 * from the sandbox's root and from each of the step's input folders (where `pnpm --filter` runs
 * a package's script).
 */
export async function undeclaredReads(
  log: string,
  step: Step,
  sandboxDir: string,
  repoRoot: string,
): Promise<string[]> {
  const found = new Set<string>();
  for (const [, path] of log.matchAll(MISSING_PATH)) {
    if (path === undefined) continue;
    const candidates = isAbsolute(path)
      ? [path]
      : [sandboxDir, ...step.inputs.map((input) => join(sandboxDir, input))].map((dir) =>
          resolve(dir, path),
        );
    for (const candidate of candidates) {
      const inside = relative(sandboxDir, candidate);
      if (inside.startsWith("..") || isAbsolute(inside)) continue;
      if ((await exists(join(repoRoot, inside))) && !(await exists(candidate))) {
        found.add(inside);
        break;
      }
    }
  }
  return [...found].map(
    (path) =>
      `[pipeline] ${step.id} read ${path}, which is not among its inputs: its sandbox (like its container) does not have it`,
  );
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
