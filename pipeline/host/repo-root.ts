import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export class NotInRepositoryError extends Error {
  constructor(cwd: string) {
    super(
      `not inside a workspace: no pnpm-workspace.yaml (or package.json with "workspaces") in ${cwd} or its parents; run pnpm run pipeline from the repository, or pass --repo <path>`,
    );
    this.name = "NotInRepositoryError";
  }
}

/** npm, yarn and bun workspaces live in package.json; pnpm ignores them, discovery reads both. */
function declaresWorkspaces(dir: string): boolean {
  const file = join(dir, "package.json");
  if (!existsSync(file)) {
    return false;
  }
  try {
    return (
      (JSON.parse(readFileSync(file, "utf8")) as { workspaces?: unknown }).workspaces !== undefined
    );
  } catch {
    // A package.json that is not JSON is no workspace root; discovery reports it if it matters.
    return false;
  }
}

/** The nearest ancestor of `cwd` (itself included) that is a workspace root. */
export function findRepoRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml")) || declaresWorkspaces(dir)) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new NotInRepositoryError(cwd);
    }
  }
}
