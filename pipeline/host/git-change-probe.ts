import { execa } from "execa";
import { z } from "zod";
import type { ChangeProbe } from "../../dagger/src/core/affected.js";

const pnpmListSchema = z.array(z.object({ name: z.string().optional(), path: z.string() }));

/** Repository facts for affected detection, from git and pnpm run in `repoRoot`. */
export function gitChangeProbe(repoRoot: string): ChangeProbe {
  const git = async (args: string[]) =>
    execa("git", args, { cwd: repoRoot, reject: false, stdin: "ignore" });
  const lines = (text: string) => text.split("\n").filter((line) => line !== "");
  const mergeBase = async (ref: string) => {
    const result = await git(["merge-base", ref, "HEAD"]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  };
  return {
    async isShallow() {
      const result = await git(["rev-parse", "--is-shallow-repository"]);
      if (result.exitCode !== 0) {
        throw new Error(`git rev-parse failed in ${repoRoot}: ${result.stderr}`);
      }
      return result.stdout.trim() === "true";
    },
    async refExists(ref) {
      return (await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).exitCode === 0;
    },
    async hasMergeBase(ref) {
      return (await mergeBase(ref)) !== undefined;
    },
    async changedFiles(ref) {
      const base = await mergeBase(ref);
      if (base === undefined) {
        throw new Error(`no merge base between ${ref} and HEAD`);
      }
      // Against the working tree, like pnpm's own filter: uncommitted edits count as changes.
      const [diff, untracked] = await Promise.all([
        execa("git", ["diff", "--name-only", "--no-renames", base, "--"], { cwd: repoRoot }),
        execa("git", ["ls-files", "--others", "--exclude-standard"], { cwd: repoRoot }),
      ]);
      return [...new Set([...lines(diff.stdout), ...lines(untracked.stdout)])];
    },
    async pnpmChangedPackages(ref) {
      const { stdout } = await execa(
        "pnpm",
        [
          "list",
          "-r",
          "--depth",
          "-1",
          "--json",
          "--filter",
          `...[${ref}]`,
          "--changed-files-ignore-pattern",
          "**/*.md",
        ],
        { cwd: repoRoot, stdin: "ignore" },
      );
      const packages = pnpmListSchema.parse(JSON.parse(stdout === "" ? "[]" : stdout));
      return packages.flatMap((entry) => (entry.name ? [entry.name] : []));
    },
  };
}
