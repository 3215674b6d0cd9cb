import { judgeWindow, type WindowAnalysis, type WindowVerdict } from "./canary-analysis.js";
import { unreadable, watchWindow } from "./canary-window.js";
import type { DeployContext } from "./deploy-context.js";
import {
  readScheduledRuns,
  type ScheduledVerification,
  startScheduledVerification,
} from "./scheduled-verification.js";
import { emptyTraffic, type VersionTraffic } from "./telemetry-query.js";

/** The watch after 100% (the guide's Stage 4), as the report keeps it. */
export interface BakeReport {
  startedAt: string;
  /** The old version's traffic in the same length of time before the deploy: the baseline. */
  baseline: { since: string; until: string };
  /**
   * pass: the tests held for the whole bake. fail: one failed (or a cron run failed) and the
   * service went back to its old version. inconclusive: not enough traffic (on either side) to
   * compare; the new version stays, and the report says what was not seen.
   */
  verdict: WindowVerdict;
  /** `old` is the baseline, `new` the new version since the bake began. */
  analysis: WindowAnalysis;
  elapsedMs: number;
  polls: number;
  stoppedEarly: boolean;
  scheduled?: ScheduledVerification;
}

type Gradual = NonNullable<DeployContext["gradual"]>;

/**
 * Watches the new version at 100% for the policy's `bakeMs`, judging it at every poll by the
 * window's tests against the old version's baseline from before the deploy, and checks its
 * cron triggers on the way. Undefined when interrupted. The caller rolls back on `fail`.
 */
export async function bakeNewVersion(
  context: DeployContext,
  gradual: Gradual,
  worker: string,
  versions: { next: string; previous: string },
  deployStarted: number,
): Promise<BakeReport | undefined> {
  const { clock } = context;
  const { policy, metrics } = gradual;
  const startedAt = new Date(clock.now());
  const baselineUntil = new Date(deployStarted);
  const baselineSince = new Date(deployStarted - policy.bakeMs);
  let baseline: VersionTraffic | undefined;
  const scheduled = await startScheduledVerification(metrics, worker);

  const watch = await watchWindow(
    context,
    gradual,
    async (final, since, until) => {
      try {
        baseline ??= (
          await metrics.traffic(worker, [versions.previous], baselineSince, baselineUntil)
        )[0];
        const [now] = await metrics.traffic(worker, [versions.next], since, until);
        const analysis = judgeWindow(
          baseline ?? emptyTraffic(versions.previous),
          now ?? emptyTraffic(versions.next),
          policy,
          final,
        );
        if (scheduled) {
          await readScheduledRuns(metrics, scheduled, worker, versions.next, since, until, final);
          if (scheduled.outcome === "failed") {
            return { ...analysis, verdict: "fail", reason: scheduled.note };
          }
        }
        return analysis;
      } catch (error) {
        return unreadable(versions, error as Error);
      }
    },
    policy.bakeMs,
    0,
  );
  if (!watch) return undefined;
  return {
    startedAt: startedAt.toISOString(),
    baseline: { since: baselineSince.toISOString(), until: baselineUntil.toISOString() },
    verdict: watch.analysis.verdict,
    analysis: watch.analysis,
    elapsedMs: watch.elapsedMs,
    polls: watch.polls,
    stoppedEarly: watch.stoppedEarly,
    ...(scheduled ? { scheduled } : {}),
  };
}
