import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  computeDora,
  formatSpan,
  gitCommitTimes,
  originCommits,
  parseDeployments,
  parseSince,
  parseVersions,
  renderDoraJson,
  renderDoraMarkdown,
  renderDoraText,
} from "#core";

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, "fixtures/production-history.json"), "utf8"),
) as { services: Record<string, { deployments: unknown[]; versions: unknown[] }>; gitLog: string };
const history = Object.entries(fixture.services).map(([service, raw]) => ({
  service,
  worker: service,
  deployments: parseDeployments(JSON.stringify(raw.deployments), service),
  versions: parseVersions(JSON.stringify(raw.versions), service),
}));
const now = Date.parse("2026-11-29T12:00:00Z");
const commits = await gitCommitTimes(async () => ({
  exitCode: 0,
  stdout: fixture.gitLog,
  stderr: "",
}))(originCommits(history));
const report = computeDora(history, commits, {
  target: "production",
  since: parseSince("14d"),
  now,
});
const empty = computeDora(
  [],
  { times: new Map() },
  {
    target: "staging",
    since: parseSince("30d"),
    now,
  },
);

describe("the DORA report", () => {
  it("as text: the four metrics with their bands, the failed runs and the notes", () => {
    expect(renderDoraText(report)).toBe(
      [
        "DORA metrics for production, last 14d (2026-11-15 12:00 UTC to 2026-11-29 12:00 UTC: 6 deploy runs, 2 failed, 4 rollback deployments)",
        "",
        "metric                 value                         DORA band",
        "---------------------  ----------------------------  ---------",
        "deployment frequency   0.43/day (3.00/week), 6 runs  high",
        "lead time for changes  median 11h 2m over 2 runs     elite",
        "change failure rate    33.3% (2 of 6 runs)           low",
        "time to restore        median 11h 35m over 2 runs    high",
        "",
        "bands: DORA Accelerate State of DevOps Report 2023 (low frequency and lead time: 2024)",
        "failed runs:",
        "  run 102-1 (commit c2c2c2c2c2c2) on auth, db, gateway, deployed 2026-11-18 12:00 UTC, restored after 11m",
        "  run 104-1 (commit c4c4c4c4c4c4) on db, deployed 2026-11-24 10:00 UTC, restored after 23h",
        "notes:",
        `  - 1 run deployed versions without the pipeline's "commit <sha> run <id>" annotation: counted, with no lead time`,
        "  - 1 run deployed a commit this clone does not have (a shallow clone?): no lead time",
      ].join("\n"),
    );
  });

  it("as Markdown for a job summary: a heading, a table and lists", () => {
    const markdown = renderDoraMarkdown(report);
    expect(markdown).toMatch(/^## DORA metrics: production, last 14d\n/);
    expect(markdown).toContain(
      "| metric | value | DORA band |\n| --- | --- | --- |\n| deployment frequency | 0.43/day (3.00/week), 6 runs | high |",
    );
    expect(markdown).toContain(
      "**Failed runs**\n\n- run 102-1 (commit c2c2c2c2c2c2) on auth, db, gateway,",
    );
    expect(markdown).toContain("**Notes**\n\n- 1 run deployed versions without");
  });

  it("as JSON: the whole report, runs included", () => {
    expect(JSON.parse(renderDoraJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(JSON.parse(renderDoraJson(report)).runs).toHaveLength(6);
  });

  it("says no data, with no band, when nothing was deployed", () => {
    const text = renderDoraText(empty);
    expect(text).toContain("0 deploy runs, 0 failed, 0 rollback deployments");
    expect(text.match(/no data \(no deploy runs in the window\) {2}-$/gm)).toHaveLength(4);
    expect(renderDoraMarkdown(empty)).not.toContain("**Failed runs**");
  });

  it("formats spans in their two largest units", () => {
    expect(
      [0, 42_000, 14 * 60_000, 3 * 3_600_000 + 12 * 60_000, 2 * 86_400_000].map(formatSpan),
    ).toEqual(["0s", "42s", "14m", "3h 12m", "2d"]);
    expect(formatSpan(26 * 3_600_000 + 59_000)).toBe("1d 2h");
    expect(formatSpan(-90_000)).toBe("-1m 30s");
  });
});
