import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

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
  const git = (...args: string[]) => execa("git", args, { cwd: root });
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("-c", "user.name=engine test", "-c", "user.email=engine@test", "commit", "-qm", "copy");
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

export interface StepRecord {
  id: string;
  status?: string;
  exitCode?: number;
  durationMs?: number;
  outputSha256?: string;
}

export interface CallResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  steps: StepRecord[];
}

/** `pnpm run engine:call -- <args> --repo <root>`, the driver users run, on a real engine. */
export async function engineCall(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CallResult> {
  const report = join(await mkdtemp(join(tmpdir(), "engine-report-")), "report.json");
  const result = await execa(
    "pnpm",
    ["exec", "tsx", "scripts/engine/call.ts", ...args, "--repo", root, "--json", report],
    { cwd: REPO_ROOT, reject: false, env, all: false },
  );
  const steps = await readFile(report, "utf8")
    .then((text) => JSON.parse(text).steps as StepRecord[])
    .catch(() => []);
  await rm(dirname(report), { recursive: true, force: true });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: result.stdout,
    stderr: result.stderr,
    steps,
  };
}

/** Step id -> digest of its output: equal digests across runs mean the engine's cache answered. */
export function digests(result: CallResult): Record<string, string | undefined> {
  return Object.fromEntries(result.steps.map((step) => [step.id, step.outputSha256]));
}
