import { describe, expect, it } from "vitest";
import { evaluateCoverage, parseCoverageMap, summarizeCoverage } from "#core";
import { coverageMap } from "../helpers/coverage-maps.js";

describe("evaluateCoverage", () => {
  it("fails a subject whose maps hold no file: nothing measured is not 100%", () => {
    expect(evaluateCoverage("pipeline", [{ path: "a/coverage-final.json", map: {} }])).toEqual({
      subject: "pipeline",
      mapPaths: ["a/coverage-final.json"],
      passed: false,
      problems: ["its coverage maps hold no file"],
    });
  });

  it("counts a metric with nothing to count, in a measured file, as met", () => {
    const map = coverageMap({ "/a.ts": { statements: [1] } });
    expect(evaluateCoverage("db", [{ path: "m.json", map }], 80)).toMatchObject({
      passed: true,
      coverage: { lines: 100, branches: 100, functions: 100, statements: 100 },
    });
  });

  it("reads a map as vitest's json reporter writes it, and refuses anything else", () => {
    const map = coverageMap({ "/a.ts": { statements: [0, 2] } });
    expect(parseCoverageMap(JSON.stringify(map))).toEqual(map);
    expect(() => parseCoverageMap('{"/a.ts": {"path": "/a.ts"}}')).toThrow(
      "Invalid file coverage object, missing keys, found:path",
    );
  });

  it("adds up the hits of maps of one file, and leaves every map it judged as it was", () => {
    const first = coverageMap({ "/a.ts": { statements: [0, 1] } });
    const second = coverageMap({ "/a.ts": { statements: [1, 0] } });
    const before = structuredClone([first, second]);
    expect(summarizeCoverage([first])?.statements).toBe(50);
    expect(summarizeCoverage([first, second])?.statements).toBe(100);
    // Judged again, as the gate judges a map the scheduler summarized: the same verdict.
    expect(summarizeCoverage([first])?.statements).toBe(50);
    expect([first, second]).toEqual(before);
  });
});
