// execa is imported where a process starts: loading it takes a tenth of a second or more,
// and a run that replays every step from the cache starts none.
import { type ChangeProbe, commandChangeProbe, type RunCommand } from "#core";

/** Runs one command (argv, no shell) in `repoRoot`, for the core's git and pnpm questions. */
export function repoCommand(repoRoot: string): RunCommand {
  return async ([file, ...args]) => {
    const { execa } = await import("execa");
    const { exitCode, stdout, stderr } = await execa(file as string, args, {
      cwd: repoRoot,
      reject: false,
      stdin: "ignore",
    });
    return { exitCode: exitCode ?? 1, stdout, stderr };
  };
}

/** Repository facts for affected detection, from git and pnpm run in `repoRoot`. */
export function gitChangeProbe(repoRoot: string): ChangeProbe {
  return commandChangeProbe(repoCommand(repoRoot));
}
