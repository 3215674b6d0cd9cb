import { formatSeconds } from "#core";
import { killGroup } from "../host/marked-processes.js";

/** After a stopped call's SIGTERM, how long its process group has before SIGKILL. */
const KILL_AFTER_MS = 5_000;

export interface TrackedCall {
  /** The call's child started, leading a process group of its own (spawned detached). */
  started(pid: number | undefined): void;
  /** Why the call was stopped before it ended, if it was. */
  readonly stopped: string | undefined;
  /** The call ended: forget it, and kill whatever it left behind in its group. */
  end(): void;
}

/**
 * The wrangler calls of a deploy, each started in a process group of its own (execa
 * `detached`): pnpm relays a Ctrl-C or SIGTERM to its script's whole process group, which
 * would otherwise kill wrangler mid-upload. So the signal reaches the pipeline alone, and the
 * pipeline decides. A call requested before the run was interrupted may end within `graceMs`;
 * then its group gets SIGTERM and, 5 s later, SIGKILL. Calls requested after the interruption
 * (rollbacks and the reads around them) run to their end. `killAll` is for the pipeline's exit.
 */
export class ChildGroups {
  private readonly live = new Set<number>();
  /** Set by killAll: the process is on its way out, so a call that starts now is killed too. */
  private closed = false;
  private readonly startListeners: ((pid: number) => void)[] = [];
  private runMark: string | undefined;

  constructor(
    private readonly interrupt: AbortSignal,
    private readonly graceMs: number,
  ) {}

  /** Call when the call is requested, before any await: that moment says whether it is under way. */
  track(): TrackedCall {
    const timers: NodeJS.Timeout[] = [];
    let pid: number | undefined;
    let stopped: string | undefined;
    const stop = () => {
      stopped = `stopped: still running ${formatSeconds(this.graceMs)} after ${String(this.interrupt.reason)}`;
      if (pid === undefined) return;
      killGroup(pid, "SIGTERM");
      const group = pid;
      timers.push(setTimeout(() => killGroup(group, "SIGKILL"), KILL_AFTER_MS));
    };
    const startGrace = () => timers.push(setTimeout(stop, this.graceMs));
    if (!this.interrupt.aborted) {
      this.interrupt.addEventListener("abort", startGrace, { once: true });
    }
    return {
      started: (childPid) => {
        pid = childPid;
        if (pid === undefined) return;
        this.live.add(pid);
        for (const listener of this.startListeners) listener(pid);
        if (this.closed) killGroup(pid, "SIGKILL");
        // The grace ran out between the request and the start.
        else if (stopped !== undefined) stop();
      },
      get stopped() {
        return stopped;
      },
      end: () => {
        this.interrupt.removeEventListener("abort", startGrace);
        for (const timer of timers) clearTimeout(timer);
        if (pid === undefined) return;
        // wrangler has exited; a helper it left in its group (esbuild) must not outlive it.
        killGroup(pid, "SIGKILL");
        this.live.delete(pid);
      },
    };
  }

  /**
   * Told each child's pid as it starts: the deploy journal records them, since a kill -9 of
   * the pipeline leaves them running in their own groups.
   */
  onStarted(listener: (pid: number) => void): void {
    this.startListeners.push(listener);
  }

  /**
   * Every child started from now on carries `mark` in its environment (withRunMark): its
   * journal may never name a child a kill -9 lands on as it starts, but `recover` finds the mark.
   */
  markAs(mark: string): void {
    this.runMark = mark;
  }

  /** The mark children carry, if the calls belong to a run that set one. */
  get mark(): string | undefined {
    return this.runMark;
  }

  /** Kills every group still running: the pipeline is exiting. */
  killAll(): void {
    this.closed = true;
    for (const pid of this.live) killGroup(pid, "SIGKILL");
    this.live.clear();
  }
}
