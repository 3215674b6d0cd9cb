import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

export class NotInRepositoryError extends Error {
  constructor(cwd: string) {
    super(
      `not inside the workers monorepo: no pnpm-workspace.yaml next to a services/ folder in ${cwd} or its parents; run pnpm run pipeline from the repository`,
    );
    this.name = "NotInRepositoryError";
  }
}

/** The nearest ancestor of `cwd` that holds the workspace file and the services folder. */
export function findRepoRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml")) && existsSync(join(dir, "services"))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new NotInRepositoryError(cwd);
    }
  }
}
