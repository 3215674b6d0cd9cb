import type { RunProcessesPort } from "#core";
import { endMarkedProcesses, markedProcesses } from "../host/marked-processes.js";
import { deployRunMark } from "./run-id.js";

/** After SIGTERM, how long what a dead run left running has before SIGKILL. */
const GRACE_MS = 5_000;

/**
 * What a deploy run left running on this machine, found by the mark its wranglers carry
 * (Linux; elsewhere only the journal's pids are known). `recover` waits for it, then ends it.
 */
export const leftRunning: RunProcessesPort = {
  async live(run) {
    return (await markedProcesses(deployRunMark(run))).map((found) => found.pid);
  },
  async end(run, pids) {
    for (const pid of pids) signalGroup(pid, "SIGTERM");
    // Every wrangler of the run carries the mark, and what it started too: SIGKILL for those
    // still there after the grace (a pid of the journal, once gone, may be another's by now).
    await endMarkedProcesses(deployRunMark(run), GRACE_MS);
  },
};

/** The process group `pid` leads (each wrangler of a deploy leads one), else the process alone. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: gone already, which is what we wanted.
    }
  }
}
