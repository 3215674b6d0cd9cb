import { judgeWindow, type WindowAnalysis } from "./canary-analysis.js";
import type { DeployContext } from "./deploy-context.js";
import type { ProbeTraffic } from "./probe-traffic.js";
import { emptyTraffic, type VersionTraffic } from "./telemetry-query.js";

/** How one window went: its last analysis and how the watching ended. */
export interface WindowWatch {
  analysis: WindowAnalysis;
  /** Telemetry reads made during the window. */
  polls: number;
  /** From the step going live to its verdict. */
  elapsedMs: number;
  /** A failure seen before the window's planned end stopped it there. */
  stoppedEarly: boolean;
  /** Time spent past the window waiting for the minimum sample. */
  waitedMs: number;
  /** The largest sample interval the telemetry reported (1: every request was kept). */
  sampleInterval: number;
}

type Gradual = NonNullable<DeployContext["gradual"]>;

/**
 * The new version against the old one in the same window, read by `read` at every poll
 * (two telemetry queries). A failure ends the window at once; a pass waits for the window's
 * end; too little traffic at the end waits longer, polling, up to the policy's `maxWaitMs`,
 * then ends inconclusive. Undefined when the run was interrupted while it watched.
 */
export async function watchWindow(
  context: DeployContext,
  gradual: Gradual,
  judge: (final: boolean, since: Date, until: Date) => Promise<WindowAnalysis>,
  durationMs: number,
  maxWaitMs: number,
): Promise<WindowWatch | undefined> {
  const { clock, interrupt } = context;
  const started = clock.now();
  const end = started + durationMs;
  let polls = 0;
  for (;;) {
    // The last poll of the window lands on its end, not a poll interval after it.
    const remaining = end - clock.now();
    const pollMs = gradual.policy.pollMs;
    await clock.sleep(remaining > 0 ? Math.min(pollMs, remaining) : pollMs, interrupt);
    if (interrupt?.aborted) return undefined;
    const now = clock.now();
    const final = now >= end;
    const analysis = await judge(final, new Date(started), new Date(now));
    polls++;
    const done =
      analysis.verdict === "fail" ||
      (final && (analysis.verdict === "pass" || now >= end + maxWaitMs));
    if (done) {
      return {
        analysis,
        polls,
        elapsedMs: now - started,
        stoppedEarly: !final,
        waitedMs: Math.max(0, now - end),
        sampleInterval: Math.max(analysis.old.sampleInterval, analysis.new.sampleInterval),
      };
    }
  }
}

/**
 * The judge of a traffic step: both versions' telemetry since the step went live. Telemetry
 * that cannot be read is inconclusive, never a pass.
 */
export function stepJudge(
  gradual: Gradual,
  worker: string,
  versions: { next: string; previous: string },
): (final: boolean, since: Date, until: Date) => Promise<WindowAnalysis> {
  return async (final, since, until) => {
    try {
      const [next, previous] = await gradual.metrics.traffic(
        worker,
        [versions.next, versions.previous],
        since,
        until,
      );
      return judgeWindow(
        previous ?? emptyTraffic(versions.previous),
        next ?? emptyTraffic(versions.next),
        gradual.policy,
        final,
      );
    } catch (error) {
      return unreadable(versions, error as Error);
    }
  };
}

export function unreadable(
  versions: { next: string; previous: string },
  error: Error,
): WindowAnalysis {
  return {
    verdict: "inconclusive",
    reason: `could not read the telemetry: ${error.message}`,
    old: emptyTraffic(versions.previous),
    new: emptyTraffic(versions.next),
    checks: [],
  };
}

/** Users' part of `traffic`: what the telemetry saw minus what the probes sent. */
export function usersOnly(
  traffic: VersionTraffic,
  probes: ProbeTraffic | undefined,
): VersionTraffic {
  if (!probes) return traffic;
  const less = (value: number, minus: number) => Math.max(0, value - minus);
  return {
    ...traffic,
    requests: less(traffic.requests, probes.requests),
    serverErrors: less(traffic.serverErrors, probes.serverErrors),
    clientErrors: less(traffic.clientErrors, probes.clientErrors),
  };
}
