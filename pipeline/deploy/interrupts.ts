import { writeSync } from "node:fs";
import { constants } from "node:os";
import { type AnyDeployReport, formatSeconds, UnfinishedRollbacks } from "#core";
import { type CommandContext, UsageError } from "../command.js";
import { ChildGroups } from "./child-groups.js";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * One signal can arrive more than once within milliseconds (sent to a process group and also
 * relayed by a parent); a person's second Ctrl-C comes later. Closer copies count as one.
 */
export const SAME_SIGNAL_WITHIN_MS = 500;

/** How long a wrangler call in flight at the first signal may run on (`PIPELINE_INTERRUPT_GRACE_MS`). */
const DEFAULT_GRACE_MS = 30_000;

/** What a deploy, rollback or release on the host gets to notice and survive an interruption. */
export interface HostInterrupt {
  /** Aborted at the first SIGINT or SIGTERM, with the signal's name as its reason. */
  signal: AbortSignal;
  unfinished: UnfinishedRollbacks;
  children: ChildGroups;
  /** Registers what a second signal must still do before the process ends (free the lock). */
  beforeHardExit(release: () => Promise<void>): void;
}

/** How long the releases a second signal still runs may take before the process ends anyway. */
const HARD_EXIT_RELEASE_MS = 1_000;

function graceMs(env: NodeJS.ProcessEnv): number {
  const text = env.PIPELINE_INTERRUPT_GRACE_MS;
  if (text === undefined || text === "") return DEFAULT_GRACE_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(
      `PIPELINE_INTERRUPT_GRACE_MS: "${text}" is not a whole number of milliseconds (0 or more; default ${DEFAULT_GRACE_MS})`,
    );
  }
  return value;
}

/**
 * Runs a deploy, rollback or release so that SIGINT and SIGTERM end it cleanly. The first one
 * aborts `signal`: the core starts no further deploy and rolls back what the run changed, and
 * the command writes its report and releases its lock as usual. A second one, later, exits at
 * once: it kills every wrangler still running and prints the commands that finish the
 * rollback by hand. Wrangler children never outlive the process.
 */
export async function withInterrupts(
  context: CommandContext,
  work: (interrupt: HostInterrupt) => Promise<AnyDeployReport>,
): Promise<AnyDeployReport> {
  const controller = new AbortController();
  const grace = graceMs(context.env);
  const releases: (() => Promise<void>)[] = [];
  const interrupt: HostInterrupt = {
    signal: controller.signal,
    unfinished: new UnfinishedRollbacks(),
    children: new ChildGroups(controller.signal, grace),
    beforeHardExit: (release) => releases.push(release),
  };
  let firstAt: number | undefined;
  let exiting = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (exiting) return;
    if (firstAt === undefined) {
      firstAt = Date.now();
      context.stderr(
        `${signal}: stopping. No further deploy starts; wrangler calls under way get up to ${formatSeconds(grace)} to end; then everything this run changed is rolled back. Send it again to exit at once and finish the rollback by hand.`,
      );
      controller.abort(signal);
    } else if (Date.now() - firstAt >= SAME_SIGNAL_WITHIN_MS) {
      exiting = true;
      void exitAtOnce(signal, interrupt, releases);
    }
  };
  const onExit = () => interrupt.children.killAll();
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on("exit", onExit);
  try {
    return await work(interrupt);
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off("exit", onExit);
  }
}

async function exitAtOnce(
  signal: NodeJS.Signals,
  interrupt: HostInterrupt,
  releases: (() => Promise<void>)[],
): Promise<never> {
  const lines = interrupt.unfinished.lines();
  const message = lines.length
    ? [
        `second ${signal}: exiting now; the rollback is NOT finished. Finish it by hand (a service already back on that version says so and changes nothing):`,
        ...lines.map((line) => `  ${line}`),
      ]
    : [`second ${signal}: exiting now; nothing this run changed is left to roll back`];
  // Written synchronously: process.exit does not wait for a pending write to a pipe.
  writeSync(2, `${message.join("\n")}\n`);
  interrupt.children.killAll();
  // Freeing the lock lets the printed commands run at once, with no stale-lock guesswork.
  await Promise.race([
    Promise.allSettled(releases.map((release) => release())),
    new Promise((resolve) => setTimeout(resolve, HARD_EXIT_RELEASE_MS)),
  ]);
  process.exit(signalExitCode(signal) ?? 1);
}

/** 128 + the signal's number, as shells report a process a signal ended (130, 143). */
export function signalExitCode(signal: string): number | undefined {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? undefined : 128 + number;
}

/** An interrupted run exits as if the signal had ended it; otherwise 0 or 1 by the report. */
export function reportExitCode(report: AnyDeployReport): number {
  if (report.interrupted) return signalExitCode(report.interrupted.by) ?? 1;
  return report.ok ? 0 : 1;
}
