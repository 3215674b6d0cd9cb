import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { commitFiles, fixtureRepo, git } from "../helpers/fixture-repo.js";
import { REPO_ROOT } from "../helpers/paths.js";

const DOCS = ["README.md", "pipeline/README.md"];

/** Every `pnpm run pipeline ... --json ...` line of the docs' shell blocks, its comment removed. */
async function documentedJsonCommands(): Promise<string[]> {
  const commands = new Set<string>();
  for (const doc of DOCS) {
    const text = await readFile(join(REPO_ROOT, doc), "utf8");
    for (const [, block = ""] of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const line of block.split("\n")) {
        const command = line.replace(/#.*$/, "").trim();
        if (command.startsWith("pnpm run pipeline ") && command.split(/\s+/).includes("--json")) {
          commands.add(command);
        }
      }
    }
  }
  return [...commands];
}

/** The file after `--json`, for the commands that write their report to one. */
function reportFile(command: string): string | undefined {
  const words = command.split(/\s+/);
  const next = words[words.indexOf("--json") + 1];
  return next === undefined || next.startsWith("-") ? undefined : next;
}

/**
 * The fixture workspace as a user's clone: installed, its `pipeline` script running this
 * repository's CLI, HEAD~1 and origin/main one docs-only commit behind HEAD.
 */
async function clone(): Promise<string> {
  const repo = await fixtureRepo();
  const manifest = JSON.parse(await readFile(join(repo, "package.json"), "utf8"));
  const tsx = join(REPO_ROOT, "node_modules/.bin/tsx");
  manifest.scripts = { pipeline: `${tsx} ${join(REPO_ROOT, "pipeline/cli.ts")}` };
  await writeFile(join(repo, "package.json"), JSON.stringify(manifest, null, 2));
  await writeFile(join(repo, ".gitignore"), "node_modules\n");
  // Installed and committed first, so that pnpm's check before `run` finds nothing to install and
  // the lockfile is not a change that selects every service.
  await execa("pnpm", ["install", "--offline"], { cwd: repo });
  await git(repo, "add", "--all");
  await git(repo, "commit", "--quiet", "-m", "pipeline script");
  await commitFiles(repo, { "docs/guide.md": "# changed guide\n" });
  await git(repo, "update-ref", "refs/remotes/origin/main", "HEAD~1");
  return repo;
}

const documented = await documentedJsonCommands();

describe("every --json form the READMEs show", () => {
  it("includes JSON on stdout and a JSON report file", () => {
    expect(documented.some((command) => reportFile(command) === undefined)).toBe(true);
    expect(documented.some((command) => reportFile(command) !== undefined)).toBe(true);
  });

  it.each(documented)("%s: gives JSON that parses, run as written", async (command) => {
    const repo = await clone();
    const result = await execa("sh", ["-c", command], { cwd: repo, reject: false });
    // `local status` exits 3 when the control plane is not running, as documented.
    expect(result.exitCode, result.stderr).toBe(command.includes(" local status") ? 3 : 0);
    const file = reportFile(command);
    const json = file === undefined ? result.stdout : await readFile(join(repo, file), "utf8");
    expect(() => JSON.parse(json), json).not.toThrow();
  });
});
