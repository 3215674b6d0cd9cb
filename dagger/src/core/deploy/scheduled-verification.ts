import type { RolloutTelemetry } from "./telemetry-query.js";

/**
 * Whether the new version's cron triggers ran, and ran well, during the bake. `unverified`
 * is honest about what was not seen: no trigger fell inside the bake, or its telemetry could
 * not be read. A failed scheduled invocation of the new version fails the bake like an error
 * spike does: the guide's "verify scheduled tasks" is there because a broken cron breaks
 * silently.
 */
export interface ScheduledVerification {
  crons: string[];
  outcome: "verified" | "failed" | "unverified";
  note: string;
  /** Scheduled invocations of the new version seen, by outcome. */
  ok: number;
  failed: number;
  /** Local only: the pipeline fired each cron itself (the control plane has no cron clock). */
  fired: boolean;
}

/**
 * Reads the Worker's cron triggers and, where the platform allows it (the local control
 * plane), fires each once now. Undefined when the Worker has no cron trigger.
 */
export async function startScheduledVerification(
  telemetry: RolloutTelemetry,
  worker: string,
): Promise<ScheduledVerification | undefined> {
  let crons: string[];
  try {
    crons = await telemetry.schedules(worker);
  } catch (error) {
    return {
      crons: [],
      outcome: "unverified",
      note: `could not list the cron triggers: ${(error as Error).message}`,
      ok: 0,
      failed: 0,
      fired: false,
    };
  }
  if (crons.length === 0) return undefined;
  const verification: ScheduledVerification = {
    crons,
    outcome: "unverified",
    note: "no scheduled invocation of the new version seen yet",
    ok: 0,
    failed: 0,
    fired: false,
  };
  if (telemetry.fireScheduled) {
    for (const cron of crons) {
      try {
        await telemetry.fireScheduled(worker, cron);
      } catch (error) {
        verification.note = `firing "${cron}" failed: ${(error as Error).message}`;
        return verification;
      }
    }
    verification.fired = true;
  }
  return verification;
}

/** Updates `verification` with the scheduled invocations of `versionId` since `since`. */
export async function readScheduledRuns(
  telemetry: RolloutTelemetry,
  verification: ScheduledVerification,
  worker: string,
  versionId: string,
  since: Date,
  until: Date,
  final: boolean,
): Promise<void> {
  if (verification.crons.length === 0) return;
  try {
    const runs = await telemetry.scheduledRuns(worker, versionId, since, until);
    verification.ok = runs.ok;
    verification.failed = runs.failed;
  } catch (error) {
    verification.note = `could not read scheduled invocations: ${(error as Error).message}`;
    return;
  }
  const crons = verification.crons.map((cron) => `"${cron}"`).join(", ");
  if (verification.failed > 0) {
    verification.outcome = "failed";
    verification.note = `${verification.failed} scheduled invocation(s) of ${versionId} failed (${crons})`;
  } else if (verification.ok > 0) {
    verification.outcome = "verified";
    verification.note = `${verification.ok} successful scheduled invocation(s) of ${versionId} (${crons})`;
  } else if (final) {
    verification.note = `no scheduled invocation of ${versionId} during the bake: its next trigger (${crons}) falls after it`;
  }
}
