import { formatSeconds } from "./health.js";
import type { RecoveredService, RecoverReport } from "./run-recover.js";

/**
 * The first line says where every service is: after a crash that is the one thing to know. The
 * lines after it say, per service, what recover found and what it did.
 */
export function renderRecover(report: RecoverReport): string {
  return [
    recoverHeadline(report),
    ...report.services.map((service) => `  ${mark(service)} ${service.note}`),
    ...report.notes.map((note) => `  ${note}`),
  ].join("\n");
}

export function recoverHeadline(report: RecoverReport): string {
  if (report.run === undefined) return `recover ${report.target}: nothing to recover`;
  const where = report.services.map(whereItIs).join("; ");
  const run = `run ${report.run.id} (started ${report.run.startedAt}, from its ${report.run.source})`;
  if (report.services.length === 0) {
    return `recover ${report.target}: ${run} changed no service: nothing to put back`;
  }
  if (report.dryRun) return `recover ${report.target} (dry run): ${run}: ${where}`;
  const verdict = report.ok ? "recovered" : "RECOVERY INCOMPLETE";
  return `recover ${report.target}: ${verdict} ${run} in ${formatSeconds(report.durationMs)}: ${where}`;
}

function whereItIs(service: RecoveredService): string {
  const now = service.nowVersion ?? "nothing";
  switch (service.action) {
    case "already-on-pre-run":
    case "rolled-back":
      return `${service.service} on ${now} (pre-run)`;
    case "would-roll-back":
      return `${service.service} on ${now}, pre-run ${service.preRunVersion}`;
    case "nothing-to-return-to":
      return `${service.service} on ${now} (first deploy, nothing before it)`;
    case "failed":
      return `${service.service} STILL ON ${now} (pre-run ${service.preRunVersion ?? "unknown"})`;
  }
}

function mark(service: RecoveredService): string {
  return service.action === "failed" ? "✗" : service.action === "would-roll-back" ? "→" : "✓";
}
