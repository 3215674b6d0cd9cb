import { type Container, type Directory, ReturnType } from "@dagger.io/dagger";
import { z } from "zod";
import type { ChangeProbe } from "../core/affected.js";
import { toolchainContainer, WORKDIR } from "./toolchain.js";

interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const pnpmListSchema = z.array(z.object({ name: z.string().optional(), path: z.string() }));

/** Git history is only needed here, so only this container gets `.git`. */
export function changeProbeContainer(source: Directory): Container {
  return (
    toolchainContainer()
      // The copied repository belongs to another uid than the one git runs as.
      .withExec(["git", "config", "--global", "--add", "safe.directory", WORKDIR])
      .withDirectory(WORKDIR, source)
  );
}

/** The same git and pnpm questions the host probe asks, asked inside a container. */
export function containerChangeProbe(container: Container): ChangeProbe {
  const run = async (args: string[]): Promise<CommandResult> => {
    const done = container.withExec(args, { expect: ReturnType.Any });
    const [exitCode, stdout, stderr] = await Promise.all([
      done.exitCode(),
      done.stdout(),
      done.stderr(),
    ]);
    return { exitCode, stdout, stderr };
  };
  const checked = async (args: string[]): Promise<string> => {
    const result = await run(args);
    if (result.exitCode !== 0) {
      throw new Error(
        `${args.join(" ")} failed (exit code ${result.exitCode}): ${result.stderr.trim()}`,
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
      const packages = pnpmListSchema.parse(JSON.parse(stdout === "" ? "[]" : stdout));
      return packages.flatMap((entry) => (entry.name ? [entry.name] : []));
    },
  };
}
