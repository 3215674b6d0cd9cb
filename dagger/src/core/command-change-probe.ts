import * as z from "zod";
import type { ChangeProbe } from "./affected.js";

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one command (argv, no shell) in the repository's root and reports how it ended. */
export type RunCommand = (argv: string[]) => Promise<CommandResult>;

const pnpmListSchema = z.array(z.object({ name: z.string().optional(), path: z.string() }));

/**
 * The git and pnpm questions behind affected detection, asked through `run`: the host runs them
 * with execa, the Dagger module in a container, and both ask exactly the same ones.
 */
export function commandChangeProbe(run: RunCommand): ChangeProbe {
  const checked = async (argv: string[]): Promise<string> => {
    const result = await run(argv);
    if (result.exitCode !== 0) {
      throw new Error(
        `${argv.join(" ")} failed (exit code ${result.exitCode}): ${result.stderr.trim()}`,
      );
    }
    return result.stdout;
  };
  const lines = (text: string) => text.split("\n").filter((line) => line !== "");
  const mergeBase = async (ref: string) => {
    const result = await run(["git", "merge-base", ref, "HEAD"]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  };
  return {
    async isShallow() {
      return (await checked(["git", "rev-parse", "--is-shallow-repository"])).trim() === "true";
    },
    async refExists(ref) {
      return (
        (await run(["git", "rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).exitCode === 0
      );
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
        checked(["git", "diff", "--name-only", "--no-renames", base, "--"]),
        checked(["git", "ls-files", "--others", "--exclude-standard"]),
      ]);
      return [...new Set([...lines(diff), ...lines(untracked)])];
    },
    async pnpmChangedPackages(ref) {
      const stdout = await checked([
        "pnpm",
        "list",
        "-r",
        "--depth",
        "-1",
        "--json",
        "--filter",
        `...[${ref}]`,
        "--changed-files-ignore-pattern",
        "**/*.md",
      ]);
      // pnpm first prints a progress line ("Installing config dependencies...") when the
      // repository declares configDependencies not yet installed: the JSON starts at its `[`.
      const json = stdout.slice(Math.max(0, stdout.search(/^\[/m)));
      const packages = pnpmListSchema.parse(JSON.parse(json.trim() === "" ? "[]" : json));
      return packages.flatMap((entry) => (entry.name ? [entry.name] : []));
    },
  };
}
