import { execFileSync } from "node:child_process";
import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./repo-steps.js";

/** What discovery, the step graph and pnpm's change filter read; build output stays behind. */
const COPIED = [
  ".gitignore",
  "biome.json",
  "workers-pipeline.config.json",
  "package.json",
  "pnpm-workspace.yaml",
  "pnpm-lock.yaml",
  "services",
  "tests/integration/package.json",
];
const SKIPPED = /(^|\/)(node_modules|coverage|\.wrangler|dist)(\/|$)/;

/**
 * A git repository holding this workspace's current files, then one more commit that touches
 * only `services/gateway` (a leaf: nothing depends on it), for `--base HEAD~1`. Built from the
 * files rather than cloned, so it also works where the checkout has no `.git` (step containers).
 */
export async function gatewayChangeRepo(): Promise<{ scratch: string; repo: string }> {
  const scratch = await mkdtemp(join(tmpdir(), "dagger-fixture-"));
  const repo = join(scratch, "repo");
  for (const path of COPIED) {
    await cp(join(repoRoot, path), join(repo, path), {
      recursive: true,
      filter: (source) => !SKIPPED.test(source.slice(repoRoot.length)),
    });
  }
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, stdio: "pipe" });
  git("init", "--quiet", "--initial-branch=main");
  git("config", "user.email", "fixture@example.invalid");
  git("config", "user.name", "fixture");
  git("add", ".");
  git("commit", "--quiet", "-m", "workspace");
  await writeFile(join(repo, "services", "gateway", "CHANGED.ts"), "export const changed = 1;\n");
  git("add", ".");
  git("commit", "--quiet", "-m", "change gateway");
  return { scratch, repo };
}
