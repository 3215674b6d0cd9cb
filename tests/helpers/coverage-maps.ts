import type { CoverageMap } from "#core";

interface Hits {
  /** Hit count per statement; statement i is alone on line i + 1, so lines follow statements. */
  statements: number[];
  functions?: number[];
  /** Hit counts per branch point, one per path through it. */
  branches?: number[][];
}

const at = (line: number) => ({
  start: { line, column: 0 },
  end: { line, column: 10 },
});

/** An istanbul coverage map (what vitest's json reporter writes) with the given hits per file. */
export function coverageMap(files: Record<string, Hits>): CoverageMap {
  return Object.fromEntries(
    Object.entries(files).map(([path, hits]) => {
      const functions = hits.functions ?? [];
      const branches = hits.branches ?? [];
      const byIndex = <T, R>(values: T[], make: (value: T, index: number) => R) =>
        Object.fromEntries(values.map((value, index) => [String(index), make(value, index)]));
      return [
        path,
        {
          path,
          statementMap: byIndex(hits.statements, (_, index) => at(index + 1)),
          s: byIndex(hits.statements, (count) => count),
          fnMap: byIndex(functions, (_, index) => ({
            name: `f${index}`,
            decl: at(index + 1),
            loc: at(index + 1),
            line: index + 1,
          })),
          f: byIndex(functions, (count) => count),
          branchMap: byIndex(branches, (paths, index) => ({
            loc: at(index + 1),
            type: "if",
            locations: paths.map(() => at(index + 1)),
            line: index + 1,
          })),
          b: byIndex(branches, (paths) => paths),
        },
      ];
    }),
  );
}

/** Every statement, function and branch of one file hit once: 100% on every metric. */
export const FULL_COVERAGE_MAP = coverageMap({
  "/repo/src/index.ts": { statements: [1], functions: [1], branches: [[1, 1]] },
});
