import { execa } from "execa";
import type { ChangeProbe } from "../../dagger/src/core/affected.js";
import { commandChangeProbe } from "../../dagger/src/core/command-change-probe.js";

/** Repository facts for affected detection, from git and pnpm run in `repoRoot`. */
export function gitChangeProbe(repoRoot: string): ChangeProbe {
  return commandChangeProbe(async ([file, ...args]) => {
    const { exitCode, stdout, stderr } = await execa(file as string, args, {
      cwd: repoRoot,
      reject: false,
      stdin: "ignore",
    });
    return { exitCode: exitCode ?? 1, stdout, stderr };
  });
}
