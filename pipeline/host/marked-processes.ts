import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

// Also run by Node's own type stripping as part of the watchdog (process-watchdog.ts): node:
// imports only, and only TypeScript that strips to JavaScript.

/**
 * The marks of the runs a process belongs to, space-separated, inherited by everything it
 * starts. The environment survives what a process group does not: a grandchild that calls
 * setsid (a detached server, workerd) leaves its parent's group but keeps its environment. A
 * list, so that a run started inside another (a test running `pipeline deploy` in a `ci` step)
 * adds its mark without hiding the outer run's.
 */
export const RUN_MARKS_ENV = "PIPELINE_RUN_MARKS";

/** Whether this platform lets a process read other processes' environments (/proc). */
export const CAN_FIND_MARKED_PROCESSES = process.platform === "linux";

/** How often the end of marked processes is checked while they get their grace. */
const POLL_MS = 50;

export interface MarkedProcess {
  pid: number;
  command: string;
}

/** The variables that give a child `mark` on top of the marks `env` already carries. */
export function withRunMark(env: NodeJS.ProcessEnv, mark: string): Record<string, string> {
  const marks = (env[RUN_MARKS_ENV] ?? "").split(" ").filter(Boolean);
  return { [RUN_MARKS_ENV]: [...marks.filter((other) => other !== mark), mark].join(" ") };
}

/**
 * Live processes carrying `mark` (not zombies, not this one). Empty where /proc does not
 * exist: callers then fall back to what they tracked themselves.
 */
export async function markedProcesses(mark: string): Promise<MarkedProcess[]> {
  if (!CAN_FIND_MARKED_PROCESSES) return [];
  const found: MarkedProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, "utf8");
      const marks = environ
        .split("\0")
        .find((variable) => variable.startsWith(`${RUN_MARKS_ENV}=`))
        ?.slice(RUN_MARKS_ENV.length + 1)
        .split(" ");
      if (!marks?.includes(mark)) continue;
      const status = await readFile(`/proc/${entry}/status`, "utf8");
      if (/^State:\s+Z/m.test(status)) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0").join(" ");
      found.push({ pid: Number(entry), command: command.trim() });
    } catch {
      // Exited while we looked, or not ours to read.
    }
  }
  return found;
}

/**
 * Ends every process carrying `mark`: SIGTERM, up to `graceMs` for them to go, then SIGKILL.
 * Scans again after the kill, since a process may start another while it is being ended.
 * Returns the processes it found running.
 */
export async function endMarkedProcesses(mark: string, graceMs: number): Promise<MarkedProcess[]> {
  const ended = new Map<number, MarkedProcess>();
  let alive = await markedProcesses(mark);
  for (const found of alive) ended.set(found.pid, found);
  signal(alive, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(POLL_MS);
    alive = await markedProcesses(mark);
    for (const found of alive) {
      if (!ended.has(found.pid)) signal([found], "SIGTERM");
      ended.set(found.pid, found);
    }
  }
  for (let round = 0; alive.length > 0 && round < 3; round++) {
    signal(alive, "SIGKILL");
    await sleep(POLL_MS);
    alive = await markedProcesses(mark);
    for (const found of alive) ended.set(found.pid, found);
  }
  return [...ended.values()];
}

function signal(processes: readonly MarkedProcess[], name: NodeJS.Signals): void {
  for (const { pid } of processes) {
    try {
      process.kill(pid, name);
    } catch {
      // ESRCH: gone already, which is what we wanted.
    }
  }
}

/** Sends `signal` to the process group `pid` leads; a group already gone is what was wanted. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}
