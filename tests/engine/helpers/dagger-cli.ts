import { existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { REPO_ROOT } from "../../helpers/paths.js";

/** No Dagger CLI to run the suite with: said in one line, before any test starts. */
export class NoDaggerCliError extends Error {
  constructor(detail: string) {
    super(
      `no Dagger CLI: ${detail}; install dagger (https://docs.dagger.io/install) or set _EXPERIMENTAL_DAGGER_CLI_BIN to its path`,
    );
    this.name = "NoDaggerCliError";
  }
}

/** The `dagger` the suite runs: _EXPERIMENTAL_DAGGER_CLI_BIN when set, else the one on PATH. */
export function daggerCli(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env._EXPERIMENTAL_DAGGER_CLI_BIN;
  if (chosen) {
    if (!existsSync(chosen)) {
      throw new NoDaggerCliError(`_EXPERIMENTAL_DAGGER_CLI_BIN is ${chosen}, which does not exist`);
    }
    return chosen;
  }
  const onPath = (env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, "dagger"))
    .find((candidate) => existsSync(candidate));
  if (!onPath) throw new NoDaggerCliError("dagger is not on PATH");
  return onPath;
}

/**
 * A throw-away git repository holding this checkout's files as they are now (tracked and
 * untracked, minus what git ignores), committed once: each test edits its own copy.
 */
export async function repoCopy(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "engine-repo-"));
  const { stdout } = await execa("git", ["ls-files", "-z", "-c", "-o", "--exclude-standard"], {
    cwd: REPO_ROOT,
  });
  for (const file of stdout.split("\0").filter(Boolean)) {
    await cp(join(REPO_ROOT, file), join(root, file), { recursive: true }).catch((error) => {
      // A file deleted but not yet staged is still listed; nothing to copy.
      if (error.code !== "ENOENT") throw error;
    });
  }
  await execa("git", ["init", "-q", "-b", "main"], { cwd: root });
  await commitAll(root, "copy");
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

export async function commitAll(root: string, message: string): Promise<void> {
  const git = (...args: string[]) => execa("git", args, { cwd: root });
  await git("add", "-A");
  await git(
    "-c",
    "user.name=engine test",
    "-c",
    "user.email=engine@test",
    "commit",
    "-qm",
    message,
  );
}

export interface CallResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `dagger call <args>` in `root`, as a user runs it. */
export async function daggerCall(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CallResult> {
  const result = await execa(daggerCli(), ["call", ...args], {
    cwd: root,
    reject: false,
    env: { DO_NOT_TRACK: "1", DAGGER_NO_UPDATE_CHECK: "1", ...env },
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

/** The step ids and statuses of the summary table `ci` returns. */
export function summarySteps(stdout: string): { id: string; status: string }[] {
  const lines = stdout.split("\n");
  const header = lines.findIndex((line) => /^step +status +duration$/.test(line.trim()));
  if (header === -1) return [];
  return lines
    .slice(header + 1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cells): cells is [string, string, ...string[]] => cells.length >= 3)
    .map(([id, status]) => ({ id, status }));
}
