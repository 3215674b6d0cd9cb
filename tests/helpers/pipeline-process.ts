import { randomUUID } from "node:crypto";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { markedProcesses, withRunMark } from "../../pipeline/host/marked-processes.js";
import { COPY_PNPM_ENV } from "./temp-repo.js";

export { markedProcesses };

export interface PipelineExit {
  /** What a shell shows as `$?`: the exit code, or 128 + the signal that ended pnpm. */
  status: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The command line of the node process behind `pnpm run pipeline` (what a supervisor signals). */
export const PIPELINE_NODE = /^\S*node .*pipeline\/launch\.mjs/;

/**
 * `pnpm run pipeline <args>` exactly as a person types it, in its own process group (as a
 * terminal runs a foreground job), so a test can send it a Ctrl-C (SIGINT to the group) or a
 * `kill` (SIGTERM to pnpm) at a moment it picks from the output. Every process it starts
 * inherits `marker` among its run marks (as the pipeline marks its own runs), so the test can
 * find any that outlives it.
 */
export class PipelineProcess {
  readonly marker = `pipeline-test-${randomUUID()}`;
  readonly exited: Promise<PipelineExit>;
  private readonly lines: string[] = [];
  private readonly waiters: {
    pattern: RegExp;
    resolve: (line: string) => void;
    reject: (error: Error) => void;
  }[] = [];
  private readonly pid: number;

  constructor(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
    const started = Date.now();
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("CLOUDFLARE_")),
    );
    const child = execa("pnpm", ["run", "pipeline", ...args], {
      cwd,
      reject: false,
      stdin: "ignore",
      detached: true,
      extendEnv: false,
      env: { ...inherited, ...COPY_PNPM_ENV, ...withRunMark(process.env, this.marker), ...env },
    });
    if (child.pid === undefined) throw new Error("pnpm did not start");
    this.pid = child.pid;
    for (const stream of [child.stdout, child.stderr]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts) this.take(line);
      });
    }
    this.exited = child.then((result) => {
      // Nothing more will be printed: fail whoever still waits for a line, with the output.
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.missing(waiter.pattern));
      return {
        status:
          result.exitCode ??
          128 + (result.signal === undefined ? 0 : (constants.signals[result.signal] ?? 0)),
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        durationMs: Date.now() - started,
      };
    });
  }

  /** The first line (stdout or stderr) matching `pattern`, from the start of the run. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.missing(pattern)), timeoutMs);
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  private missing(pattern: RegExp): Error {
    return new Error(`no line matching ${pattern}; the output so far:\n${this.lines.join("\n")}`);
  }

  /** What `kill -TERM <pnpm pid>` does. */
  kill(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** What Ctrl-C in a terminal does: the signal to the job's whole process group. */
  killGroup(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal);
  }

  /** The pid of the node process behind `pnpm run pipeline` (what a supervisor would signal). */
  async nodePid(): Promise<number> {
    const node = (await markedProcesses(this.marker)).find((process) =>
      PIPELINE_NODE.test(process.command),
    );
    if (node === undefined) throw new Error("no pipeline node process");
    return node.pid;
  }

  /** Ends whatever is left of the run (test clean-up; a passing test leaves nothing). */
  async dispose(): Promise<void> {
    for (const process of await markedProcesses(this.marker)) {
      try {
        globalThis.process.kill(process.pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    await this.exited;
  }

  private take(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.pattern.test(line)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}

/**
 * Processes of a run that are still alive a moment after it ended: a process just sent
 * SIGKILL takes a few milliseconds to go, more on a busy machine, so this waits up to 2 s for
 * the list to empty before it answers.
 */
export async function survivors(marker: string): Promise<{ pid: number; command: string }[]> {
  let alive = await markedProcesses(marker);
  for (let waited = 0; alive.length > 0 && waited < 2_000; waited += 100) {
    await sleep(100);
    alive = await markedProcesses(marker);
  }
  return alive;
}
