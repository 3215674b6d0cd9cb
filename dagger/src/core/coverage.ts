import { z } from "zod";

export const COVERAGE_THRESHOLD = 80;
export const COVERAGE_METRICS = ["lines", "branches", "functions", "statements"] as const;
export type CoverageMetric = (typeof COVERAGE_METRICS)[number];

/** Percentages per metric from istanbul's json-summary `total`. */
export type CoverageSummary = Record<CoverageMetric, number>;

// istanbul writes "Unknown" when a metric has nothing to count; nothing uncovered means 100%.
const pct = z
  .union([z.number(), z.literal("Unknown")])
  .transform((value) => (value === "Unknown" ? 100 : value));
const metric = z.object({ pct });
const summaryFileSchema = z.object({
  total: z.object({ lines: metric, branches: metric, functions: metric, statements: metric }),
});

/** Parses the text of a `coverage-summary.json` (istanbul json-summary reporter). */
export function parseCoverageSummary(text: string): CoverageSummary {
  const { total } = summaryFileSchema.parse(JSON.parse(text));
  return {
    lines: total.lines.pct,
    branches: total.branches.pct,
    functions: total.functions.pct,
    statements: total.statements.pct,
  };
}

export interface ServiceCoverage {
  service: string;
  summaryPath: string;
  /** Undefined when the test step produced no summary. */
  coverage?: CoverageSummary;
  passed: boolean;
  /** One line per problem, e.g. `branches 72.5% < 80%`. */
  problems: string[];
}

export function evaluateCoverage(
  service: string,
  summaryPath: string,
  coverage: CoverageSummary | undefined,
  threshold = COVERAGE_THRESHOLD,
): ServiceCoverage {
  if (!coverage) {
    return {
      service,
      summaryPath,
      passed: false,
      problems: [`no coverage summary at ${summaryPath}`],
    };
  }
  const problems = COVERAGE_METRICS.filter((name) => coverage[name] < threshold).map(
    (name) => `${name} ${coverage[name]}% < ${threshold}%`,
  );
  return { service, summaryPath, coverage, passed: problems.length === 0, problems };
}
