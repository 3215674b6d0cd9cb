import { describe, expect, it } from "vitest";
import { seededRandom, TrafficSplitter } from "../src/deployments/traffic-split.js";
import { parseVersionOverrides } from "../src/deployments/version-overrides.js";
import type { DeploymentRecord } from "../src/storage/state-types.js";

function deployment(id: string, versions: [string, number][]): DeploymentRecord {
  return {
    id,
    createdOn: "2026-01-01T00:00:00.000Z",
    source: "wrangler",
    strategy: "percentage",
    annotations: {},
    versions: versions.map(([version_id, percentage]) => ({ version_id, percentage })),
  };
}

describe("Cloudflare-Workers-Version-Overrides parsing (RFC 8941 Dictionary of Strings)", () => {
  it('reads one or several worker="version" members, with spaces and parameters', () => {
    expect(parseVersionOverrides('my-worker="dc8dcd28-271b-4367-9840-6c244f84cb40"')).toEqual(
      new Map([["my-worker", "dc8dcd28-271b-4367-9840-6c244f84cb40"]]),
    );
    expect(parseVersionOverrides(' a="1" ,\tb="2";note="x", c.d_e*="3" ')).toEqual(
      new Map([
        ["a", "1"],
        ["b", "2"],
        ["c.d_e*", "3"],
      ]),
    );
  });

  it("keeps the last value of a repeated key and unescapes quotes", () => {
    expect(parseVersionOverrides('w="old", w="new"')?.get("w")).toBe("new");
    expect(parseVersionOverrides('w="a\\"b\\\\c"')?.get("w")).toBe('a"b\\c');
  });

  it("refuses what is not a valid Dictionary of Strings, so the header is ignored", () => {
    for (const invalid of [
      "w=abc", // a Token, not a String
      'W="abc"', // keys are lowercase
      'w="abc",', // trailing comma
      'w="abc" x="y"', // members must be separated by commas
      'w="abc', // unterminated String
      'w="a\\bc"', // only \" and \\ are escapes
      "w", // a Boolean member
      'w="é"', // Strings are ASCII
    ]) {
      expect(parseVersionOverrides(invalid), invalid).toBeUndefined();
    }
    expect(parseVersionOverrides("")).toEqual(new Map());
  });
});

describe("traffic split of a gradual deployment", () => {
  it("a seeded generator repeats its sequence and stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  it("routes each request at random by the percentages, reproducibly for a seed", () => {
    const split = deployment("d1", [
      ["new", 10],
      ["old", 90],
    ]);
    const count = (seed: number) => {
      const splitter = new TrafficSplitter(seed);
      return Array.from({ length: 10_000 }, () => splitter.choose("w", split)).filter(
        (v) => v === "new",
      ).length;
    };
    // 10% of 10 000 with a binomial standard deviation of 30: 4 deviations either way.
    expect(count(1)).toBeGreaterThan(880);
    expect(count(1)).toBeLessThan(1120);
    expect(count(1)).toBe(count(1));
    expect(count(2)).not.toBe(count(1));
  });

  it("gives each worker its own stream, restarted by each deployment", () => {
    const first = deployment("d1", [
      ["a", 50],
      ["b", 50],
    ]);
    const alone = new TrafficSplitter(7);
    const draws = Array.from({ length: 32 }, () => alone.choose("w", first));
    const shared = new TrafficSplitter(7);
    const interleaved = Array.from({ length: 32 }, () => {
      shared.choose("other", first);
      return shared.choose("w", first);
    });
    expect(interleaved).toEqual(draws);
    const next = deployment("d2", [
      ["a", 50],
      ["b", 50],
    ]);
    expect(Array.from({ length: 32 }, () => alone.choose("w", next))).toEqual(draws);
  });

  it("sends an override to its version, even at 0%, and ignores one outside the deployment", () => {
    const splitter = new TrafficSplitter(3);
    const split = deployment("d1", [
      ["new", 0],
      ["old", 100],
    ]);
    expect(splitter.choose("w", split, "new")).toBe("new");
    expect(splitter.choose("w", split, "gone")).toBe("old");
    expect(Array.from({ length: 100 }, () => splitter.choose("w", split))).not.toContain("new");
  });
});
