import { readFileSync } from "node:fs";

// A pid alone does not identify a process: once it exits, the kernel hands the number to the
// next one, and a lock or state file naming it would look alive forever. The start time does
// not repeat, so a record of pid plus start time names exactly one process.

/** /proc/<pid>/stat field 22 (starttime), counted from field 3 on, after the `(comm)` field. */
const START_TIME_FIELD = 22 - 3;

let bootId: string | undefined;

/**
 * Fields 3 on of /proc/<pid>/stat (field 3, the state, first); undefined off Linux or when there
 * is no such process. The command name (field 2) is in parentheses and may itself hold spaces
 * and ')'.
 */
function statFields(pid: number): string[] | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    bootId ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * When the process started, as an opaque string to compare for equality; undefined where it
 * cannot be read. On Linux: the boot id (start times count clock ticks since boot, so the same
 * count recurs after a reboot) and field 22 of /proc/<pid>/stat. Elsewhere there is no
 * file to read it from, and spawning `ps` on every check costs more than it guards.
 */
export function processStartTime(pid: number): string | undefined {
  return startTimeIn(statFields(pid));
}

function startTimeIn(fields: string[] | undefined): string | undefined {
  const ticks = fields?.[START_TIME_FIELD];
  return ticks === undefined ? undefined : `${bootId}/${ticks}`;
}

/**
 * Whether the process recorded as `pid` (started at `startTime`, when that was recorded) still
 * runs on this machine. Where start times cannot be read, the pid is all there is to go on.
 *
 * A zombie does not run: it has exited and waits for its parent to collect its status, and it
 * can wait long (a process whose parent died before it is left to whatever adopts it, which may
 * collect late). kill(pid, 0) still reaches one, and its start time is still its own.
 */
export function isProcessRunning(pid: number, startTime: string | undefined): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const fields = statFields(pid);
  const state = fields?.[0];
  if (state === "Z" || state === "X") return false;
  if (startTime === undefined) return true;
  const current = startTimeIn(fields);
  return current === undefined || current === startTime;
}
