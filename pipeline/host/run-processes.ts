import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeSync } from "node:fs";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { CommandContext } from "../command.js";
import { SAME_SIGNAL_WITHIN_MS, signalExitCode } from "../deploy/interrupts.js";
import {
  CAN_FIND_MARKED_PROCESSES,
  endMarkedProcesses,
  killGroup,
  type MarkedProcess,
  withRunMark,
} from "./marked-processes.js";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** After SIGTERM, how long a run's processes have to go before SIGKILL. */
const GRACE_MS = 5_000;

const WATCHDOG = fileURLToPath(new URL("./process-watchdog.ts", import.meta.url));

/** What the step executor tells about each step process it starts. */
export interface StepProcessGroups {
  /** Variables every step process gets: the run's mark. */
  readonly env: Record<string, string>;
  /** A step's process started, leading a process group of its own (spawned detached). */
  started(stepId: string, pid: number | undefined): void;
  ended(pid: number | undefined): void;
}

/**
 * Everything a run of steps starts ends with it, whatever ends the run:
 * - every step process carries the run's mark in its environment, and so does everything it
 *   starts, even a server that detaches into a session of its own;
 * - at the run's end, any marked process still running gets SIGTERM, then SIGKILL;
 * - SIGINT or SIGTERM ends every step's process group and every marked process, then the
 *   process exits as that signal would have ended it (130, 143);
 * - a watchdog started beside the run (its own session, so a signal to the run's group misses
 *   it) ends the marked processes when the run's process is gone, even by SIGKILL. It starts
 *   with the first step process: a run that replays every step from the cache starts none,
 *   and then pays neither for the watchdog nor for looking for leftovers.
 * Where /proc cannot be read (not Linux), marked processes cannot be found and no watchdog
 * starts: a signal then ends the step process groups only, so a process that left its step's
 * group outlives the run, and a SIGKILL of the run's process leaves every step running.
 */
export class RunProcesses implements StepProcessGroups {
  readonly env: Record<string, string>;
  private readonly groups = new Map<number, string>();
  /** When the first SIGINT or SIGTERM came. */
  private interruptedAt: number | undefined;
  /** Set when the first step process starts (undefined after that off Linux). */
  private watchdog: ChildProcess | undefined;
  private watching = false;

  private constructor(
    private readonly mark: string,
    private readonly context: CommandContext,
  ) {
    this.env = withRunMark(context.env, mark);
  }

  /**
   * Runs `work` (the steps) with the run's processes marked, watched and ended with it: the
   * first SIGINT or SIGTERM prints one line naming what it interrupts, ends the steps and
   * exits; the process exits there, so `work` never returns.
   */
  static async around<T>(
    title: string,
    context: CommandContext,
    work: (processes: RunProcesses) => Promise<T>,
  ): Promise<T> {
    const mark = `steps-${randomUUID()}`;
    const processes = new RunProcesses(mark, context);
    const onSignal = (signal: NodeJS.Signals) => void processes.interrupt(title, signal);
    for (const signal of SIGNALS) process.on(signal, onSignal);
    try {
      return await work(processes);
    } finally {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      await processes.endLeftovers(context);
    }
  }

  started(stepId: string, pid: number | undefined): void {
    if (!this.watching) {
      this.watching = true;
      this.watchdog = startWatchdog(this.mark, this.context);
    }
    if (pid === undefined) return;
    this.groups.set(pid, stepId);
    // A step the scheduler started while the interruption was under way.
    if (this.interruptedAt !== undefined) killGroup(pid, "SIGKILL");
  }

  ended(pid: number | undefined): void {
    if (pid !== undefined) this.groups.delete(pid);
  }

  private async interrupt(title: string, signal: NodeJS.Signals): Promise<void> {
    const exitCode = signalExitCode(signal) ?? 1;
    if (this.interruptedAt !== undefined) {
      // The same signal sent to the group and relayed by pnpm counts once.
      if (Date.now() - this.interruptedAt < SAME_SIGNAL_WITHIN_MS) return;
      // A second signal: no more grace; the watchdog ends what is left once this process is gone.
      for (const pid of this.groups.keys()) killGroup(pid, "SIGKILL");
      process.exit(exitCode);
    }
    this.interruptedAt = Date.now();
    const steps = [...new Set(this.groups.values())];
    const what =
      steps.length === 0
        ? "every process it started"
        : `${plural(steps.length, "running step")} (${steps.join(", ")}) and every process ${steps.length === 1 ? "it" : "they"} started`;
    // Written synchronously: the process exits before an asynchronous write could drain.
    writeSync(2, `${signal}: ${title} interrupted; ending ${what}\n`);
    for (const pid of this.groups.keys()) killGroup(pid, "SIGTERM");
    await endMarkedProcesses(this.mark, GRACE_MS);
    for (const pid of this.groups.keys()) killGroup(pid, "SIGKILL");
    process.exit(exitCode);
  }

  /** A step may leave something running (a detached server a test forgot to stop): it ends here. */
  private async endLeftovers(context: CommandContext): Promise<void> {
    if (!this.watching) return;
    const left = await endMarkedProcesses(this.mark, GRACE_MS);
    if (left.length > 0) {
      context.stderr(
        `[pipeline] ended ${plural(left.length, "process")} the steps left running: ${left.map(describeProcess).join("; ")}`,
      );
    }
    this.watchdog?.stdin?.end();
  }
}

/**
 * The watchdog, in a session of its own, its stdin a pipe whose end is its only news: the pipe
 * is not inherited by anything else this process starts (libuv opens pipes close-on-exec), so
 * end of file means this process is gone. Where marked processes cannot be found it would
 * have nothing to do, so none is started.
 */
function startWatchdog(mark: string, context: CommandContext): ChildProcess | undefined {
  if (!CAN_FIND_MARKED_PROCESSES) return undefined;
  const watchdog = spawn(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings", WATCHDOG, mark, String(GRACE_MS)],
    { detached: true, stdio: ["pipe", "ignore", "ignore"], env: context.env },
  );
  watchdog.on("error", (error) => {
    context.stderr(
      `[pipeline] could not start the process watchdog (${error.message}): a SIGKILL of this run may leave its processes running`,
    );
  });
  watchdog.unref();
  // The pipe must not keep this process alive; it only has to stay open while it lives.
  (watchdog.stdin as Socket | null)?.unref();
  return watchdog;
}

function describeProcess({ pid, command }: MarkedProcess): string {
  const shown = command.length > 80 ? `${command.slice(0, 77)}...` : command;
  return `pid ${pid} (${shown})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : noun.endsWith("s") ? "es" : "s"}`;
}
