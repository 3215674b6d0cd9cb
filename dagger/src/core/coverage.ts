import { type CoverageMapData, createCoverageMap } from "@vitest/istanbul-lib-coverage";
import { COVERAGE_THRESHOLD } from "./config/pipeline-settings.js";

/** istanbul's coverage map as JSON: per file, where each statement, function and branch is and its hits. */
export type CoverageMap = CoverageMapData;

export const COVERAGE_METRICS = ["lines", "branches", "functions", "statements"] as const;
export type CoverageMetric = (typeof COVERAGE_METRICS)[number];

/** Percentages per metric, as istanbul's json-summary `total` has them. */
export type CoverageSummary = Record<CoverageMetric, number>;

/**
 * Parses the text of a `coverage-final.json` (istanbul's json reporter: hit counts per statement,
 * function and branch of every file). Maps, unlike summaries, can be merged: a subject measured
 * by several test steps is judged on the union of what they ran.
 */
export function parseCoverageMap(text: string): CoverageMap {
  const data = JSON.parse(text) as CoverageMap;
  // The library checks each file's entry for the keys it needs and throws naming what it found.
  createCoverageMap(data);
  return data;
}

/**
 * The totals of one or more maps, hit counts added up file by file; undefined when they hold no
 * file at all, which istanbul would call "Unknown" and which must not pass for 100%.
 */
export function summarizeCoverage(maps: readonly CoverageMap[]): CoverageSummary | undefined {
  const merged = createCoverageMap();
  for (const map of maps) {
    // The library adopts the first map's objects and adds later maps' hits into them: copies
    // keep the inputs intact. A single map is only read, and copying it was most of the work.
    merged.merge(maps.length === 1 ? map : structuredClone(map));
  }
  if (merged.files().length === 0) {
    return undefined;
  }
  const totals = merged.getCoverageSummary();
  // With at least one file every metric is a number (100 when there is nothing to count).
  const pct = (metric: CoverageMetric) => Number(totals[metric].pct);
  return {
    lines: pct("lines"),
    branches: pct("branches"),
    functions: pct("functions"),
    statements: pct("statements"),
  };
}

/** The gate's verdict on one subject: a service, or the pipeline's own code. */
export interface SubjectCoverage {
  subject: string;
  /** The coverage maps it was judged on, one per test step measuring it. */
  mapPaths: string[];
  /** Undefined when a test step measuring it produced no map. */
  coverage?: CoverageSummary;
  passed: boolean;
  /** One line per problem, e.g. `branches 72.5% < 80%`. */
  problems: string[];
}

/**
 * Judges a subject on the merge of its steps' maps (`undefined` for a step that wrote none):
 * every metric must reach the threshold, and a missing map fails it, since a subject measured
 * by part of its tests would pass on too little evidence.
 */
export function evaluateCoverage(
  subject: string,
  maps: readonly { path: string; map: CoverageMap | undefined }[],
  threshold = COVERAGE_THRESHOLD,
): SubjectCoverage {
  const mapPaths = maps.map((entry) => entry.path);
  const found = maps.flatMap((entry) => (entry.map ? [entry.map] : []));
  const missing = maps.filter((entry) => entry.map === undefined).map((entry) => entry.path);
  if (missing.length > 0) {
    return {
      subject,
      mapPaths,
      passed: false,
      problems: [`no coverage map at ${missing.join(", ")}`],
    };
  }
  const coverage = summarizeCoverage(found);
  if (coverage === undefined) {
    return { subject, mapPaths, passed: false, problems: ["its coverage maps hold no file"] };
  }
  const problems = COVERAGE_METRICS.filter((name) => coverage[name] < threshold).map(
    (name) => `${name} ${coverage[name]}% < ${threshold}%`,
  );
  return { subject, mapPaths, coverage, passed: problems.length === 0, problems };
}
