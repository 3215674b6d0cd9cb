import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
// execa is imported where a process starts: loading it takes a tenth of a second or more,
// and a run that replays every step from the cache starts none.
import { type CoverageMap, parseCoverageMap, type StepExecutor } from "#core";
import type { StepProcessGroups } from "./run-processes.js";
import { LogTail } from "./streamed-log-tail.js";

// Colour codes would end up in log tails and JSON reports.
const PLAIN_OUTPUT_ENV = { FORCE_COLOR: "0", NO_COLOR: "1" };

/**
 * Runs command steps as host processes from the repository root, with `env` added. With
 * `groups`, each step runs in a process group of its own, marked as the run's
 * (run-processes.ts): a signal to the pipeline then reaches the pipeline alone, which ends the
 * steps itself.
 */
export function execaExecutor(
  repoRoot: string,
  groups?: StepProcessGroups,
  env: Record<string, string> = {},
): StepExecutor {
  return {
    async execute(step, io) {
      const [file, ...args] = step.command ?? [];
      if (file === undefined) {
        throw new Error(`step ${step.id} has no command`);
      }
      const startedAt = Date.now();
      const tail = new LogTail();
      const { execa } = await import("execa");
      const child = execa(file, args, {
        cwd: repoRoot,
        all: true,
        reject: false,
        buffer: false,
        stdin: "ignore",
        detached: groups !== undefined,
        env: { ...groups?.env, ...PLAIN_OUTPUT_ENV, ...env },
      });
      groups?.started(step.id, child.pid);
      child.all?.setEncoding("utf8");
      child.all?.on("data", (chunk: string) => {
        tail.push(chunk);
        io.onOutput(chunk);
      });
      const result = await child;
      groups?.ended(child.pid);
      if (result.failed && result.exitCode === undefined) {
        tail.push(`\n${result.shortMessage}`);
      }
      const coverageMap = step.coverageMap
        ? await freshCoverage(join(repoRoot, step.coverageMap), startedAt, tail)
        : undefined;
      return {
        exitCode: result.exitCode ?? 1,
        logTail: tail.toString(),
        ...(coverageMap ? { coverageMap } : {}),
      };
    },
  };
}

/** A map left over from an earlier run must not pass the gate for this one. */
async function freshCoverage(
  path: string,
  since: number,
  tail: LogTail,
): Promise<CoverageMap | undefined> {
  try {
    // File systems with coarse timestamps can date a fresh file slightly before the start.
    if ((await stat(path)).mtimeMs < since - 1000) {
      tail.push(`\n[pipeline] ${path} predates this run; ignoring it`);
      return undefined;
    }
    return parseCoverageMap(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      tail.push(`\n[pipeline] unreadable coverage map ${path}: ${String(error)}`);
    }
    return undefined;
  }
}
