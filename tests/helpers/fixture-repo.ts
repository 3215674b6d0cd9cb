import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterEach } from "vitest";
import { FIXTURES } from "./paths.js";

const GIT_IDENTITY = ["-c", "user.email=pipeline@test.invalid", "-c", "user.name=Pipeline Test"];

const created: string[] = [];
afterEach(async () => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temp directory, removed after the current test. */
export async function tempDir(prefix = "pipeline-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export async function git(repo: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa("git", [...GIT_IDENTITY, ...args], { cwd: repo });
  return stdout;
}

/**
 * A git repository holding a copy of a fixture under tests/pipeline/fixtures, with one commit.
 * The default, `workspace`, has db <- auth <- gateway through workspace dependencies, email bound
 * to db and gateway bound to email only in wrangler.jsonc.
 */
export async function fixtureRepo(fixture = "workspace"): Promise<string> {
  const repo = await tempDir("pipeline-fixture-");
  await cp(join(FIXTURES, fixture), repo, { recursive: true });
  await git(repo, "init", "--quiet", "--initial-branch=main");
  await git(repo, "add", "--all");
  await git(repo, "commit", "--quiet", "-m", "fixture workspace");
  return repo;
}

/** Writes the files and commits them. */
export async function commitFiles(repo: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  await git(repo, "add", "--all");
  await git(repo, "commit", "--quiet", "-m", `change ${Object.keys(files).join(", ")}`);
}

/** A copy of the fixture `tests/pipeline/fixtures/<fixture>` with some files replaced (null deletes). */
export async function fixtureWith(
  fixture: string,
  files: Record<string, string | null> = {},
): Promise<string> {
  const root = await tempDir(`pipeline-${fixture}-`);
  await cp(join(FIXTURES, fixture), root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    if (content === null) {
      await rm(join(root, path));
    } else {
      await mkdir(join(root, path, ".."), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
  return root;
}
