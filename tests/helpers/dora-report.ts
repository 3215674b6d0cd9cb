import type { DeployRun, DoraReport } from "#core";

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * A DORA report over four weeks ending `end`: week by week more deploy runs, shorter lead
 * times, and one failed run restored in two hours in the second week. Built from runs the
 * way runDora reports them, for the renderer's tests.
 */
export function fourWeekDoraReport(end = new Date("2026-12-06T12:00:00Z")): DoraReport {
  const at = (daysAgo: number) => new Date(end.getTime() - daysAgo * DAY).toISOString();
  const run = (daysAgo: number, leadHours: number, failed = false): DeployRun => ({
    id: `gh-${daysAgo}`,
    services: ["db"],
    start: at(daysAgo),
    failed,
    ...(failed ? { restoreMs: 2 * HOUR } : { leadTimeMs: leadHours * HOUR }),
  });
  const runs = [
    run(26, 60),
    run(18, 30),
    run(17, 28, true),
    run(16, 20),
    run(12, 10),
    run(10, 8),
    run(9, 6),
    run(4, 3),
    run(3, 2),
    run(2, 2),
    run(1, 1),
    run(0.5, 1),
  ];
  return {
    target: "production",
    since: "28d",
    window: { start: at(28), end: end.toISOString(), days: 28 },
    runs,
    rollbacks: 1,
    deploymentFrequency: {
      runs: runs.length,
      perDay: runs.length / 28,
      perWeek: runs.length / 4,
      band: "high",
    },
    leadTime: {
      runs: 11,
      medianMs: 6 * HOUR,
      band: "elite",
      excluded: { failed: 1, unannotated: 0, unknownCommit: 0, incomplete: 0 },
    },
    changeFailureRate: { failed: 1, runs: runs.length, rate: 1 / runs.length, band: "high" },
    timeToRestore: { runs: 1, medianMs: 2 * HOUR, band: "high" },
    notes: [],
  };
}
