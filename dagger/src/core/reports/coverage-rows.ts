import { COVERAGE_THRESHOLD } from "../config/pipeline-settings.js";
import { COVERAGE_METRICS, type SubjectCoverage } from "../coverage.js";
import type { RunResult } from "../scheduler.js";

export interface CoverageRows {
  threshold: number;
  header: string[];
  rows: string[][];
}

/**
 * Coverage per subject (each service, the pipeline code) as the gate judged it, or, when the gate
 * did not run, each service as its test step reported it (judged against the same threshold, so
 * the table never shows a silent pass). The pipeline code appears only through the gate: one
 * tooling suite's share of it says nothing against the threshold.
 */
export function coverageRows(run: RunResult): CoverageRows | undefined {
  const gate = run.steps.find((step) => step.coverageReport);
  // The threshold the gate judged against; the default when no gate result is in the run.
  const threshold = gate?.coverageThreshold ?? COVERAGE_THRESHOLD;
  const entries: SubjectCoverage[] =
    gate?.coverageReport ??
    run.steps.flatMap((step) =>
      step.service && step.coverage
        ? [
            {
              subject: step.service,
              mapPaths: [],
              coverage: step.coverage,
              passed: COVERAGE_METRICS.every((name) => (step.coverage?.[name] ?? 0) >= threshold),
              problems: [],
            },
          ]
        : [],
    );
  if (entries.length === 0) {
    return undefined;
  }
  return {
    threshold,
    header: ["code", ...COVERAGE_METRICS, `>= ${threshold}%`],
    rows: entries.map((entry) => [
      entry.subject,
      ...COVERAGE_METRICS.map((name) =>
        entry.coverage ? `${entry.coverage[name].toFixed(1)}%` : "missing",
      ),
      entry.passed ? "yes" : "NO",
    ]),
  };
}
