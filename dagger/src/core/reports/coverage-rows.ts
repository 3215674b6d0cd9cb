import { COVERAGE_METRICS, COVERAGE_THRESHOLD, type ServiceCoverage } from "../coverage.js";
import type { RunResult } from "../scheduler.js";

export interface CoverageRows {
  threshold: number;
  header: string[];
  rows: string[][];
}

/**
 * Coverage per service as the gate judged it, or, when the gate did not run, as the test steps
 * reported it (judged against the same threshold, so the table never shows a silent pass).
 */
export function coverageRows(run: RunResult): CoverageRows | undefined {
  const gate = run.steps.find((step) => step.coverageReport);
  const threshold = COVERAGE_THRESHOLD;
  const entries: ServiceCoverage[] =
    gate?.coverageReport ??
    run.steps.flatMap((step) =>
      step.service && step.coverage
        ? [
            {
              service: step.service,
              summaryPath: "",
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
    header: ["service", ...COVERAGE_METRICS, `>= ${threshold}%`],
    rows: entries.map((entry) => [
      entry.service,
      ...COVERAGE_METRICS.map((name) =>
        entry.coverage ? `${entry.coverage[name].toFixed(1)}%` : "missing",
      ),
      entry.passed ? "yes" : "NO",
    ]),
  };
}
