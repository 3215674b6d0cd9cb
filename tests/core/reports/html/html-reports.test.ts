import { describe, expect, it } from "vitest";
import {
  BAND_RANGES,
  type Band,
  changeFailureRateBand,
  type DeployReport,
  deploymentFrequencyBand,
  doraWeeks,
  leadTimeBand,
  type RunResult,
  renderDeployHtml,
  renderDoraHtml,
  renderStepsRunHtml,
  type StepResult,
  timeToRestoreBand,
} from "#core";
import { fourWeekDoraReport } from "../../../helpers/dora-report.js";

const HOUR = 3_600_000;

const step = (
  id: string,
  startedAt: number,
  durationMs: number,
  extra: Partial<StepResult> = {},
): StepResult => ({
  id,
  title: id,
  status: "passed",
  startedAt,
  durationMs,
  logTail: `${id} log`,
  ...extra,
});

const graph = [
  { id: "install", title: "install", needs: [] },
  { id: "test:a", title: "test a", needs: ["install"] },
  { id: "test:b", title: "test b", needs: ["install"] },
];

/** The status attribute each row of the steps table shows. */
const rowStatuses = (html: string) =>
  [
    ...html.matchAll(/<tr><td>([^<]+)<\/td><td><span class="status [^"]+" data-status="([^"]+)"/g),
  ].map((match) => [match[1], match[2]]);

describe("the ci report", () => {
  it("shows a step the cache restored as cached, flag or status, and keeps it off the critical path", () => {
    const run: RunResult = {
      steps: [
        step("install", 0, 1_000),
        step("test:a", 1_000, 9_000, { cached: true } as Partial<StepResult>),
        step("test:b", 1_000, 3_000, { status: "cached" as StepResult["status"] }),
      ],
      exitCode: 0,
      durationMs: 10_000,
      concurrency: 2,
    };
    const html = renderStepsRunHtml({
      title: "pipeline ci",
      startedAt: "2026-12-06T00:00:00Z",
      graph,
      run,
    });
    expect(rowStatuses(html)).toEqual([
      ["install", "passed"],
      ["test:a", "cached"],
      ["test:b", "cached"],
    ]);
    expect(html).toContain("PASSED in 10.0s (1 passed, 2 cached, 0 failed, 0 other)");
    expect(html).toMatch(/Critical path \(1\.0s\): install\./);
  });

  it("shows a run in progress: finished, running and waiting steps, and follows its live events", () => {
    const html = renderStepsRunHtml(
      {
        title: "pipeline ci",
        startedAt: "2026-12-06T00:00:00Z",
        graph,
        progress: { finished: [step("install", 0, 1_000)], running: ["test:a"] },
      },
      { liveEventsUrl: "/runs/x/events" },
    );
    expect(rowStatuses(html)).toEqual([
      ["install", "passed"],
      ["test:a", "running"],
      ["test:b", "pending"],
    ]);
    expect(html).toContain('data-state="running"');
    expect(html).toContain("connect-src 'self'");
    expect(html).toContain('new EventSource("/runs/x/events")');
  });

  it("escapes logs, so output cannot close a script or add markup, and forbids every fetch", () => {
    const run: RunResult = {
      steps: [
        step("install", 0, 1_000, {
          status: "failed",
          exitCode: 1,
          logTail: "</script><img src=x>",
        }),
      ],
      exitCode: 1,
      durationMs: 1_000,
      concurrency: 1,
    };
    const html = renderStepsRunHtml(
      { title: "pipeline ci", startedAt: "2026-12-06T00:00:00Z", graph: graph.slice(0, 1), run },
      { chartLibrary: "window.Chart = {}; // </script> inside" },
    );
    expect(html).toContain("<pre>&lt;/script&gt;&lt;img src=x&gt;</pre>");
    expect(html).not.toContain("<img");
    expect(html).toContain("// <\\/script> inside");
    expect(html).toContain("default-src 'none'");
    expect(html).toContain("connect-src 'none'");
    expect(html).toContain('<details data-step="install" open>');
  });
});

describe("the deploy report", () => {
  it("shows every version a window measured, whatever the analysis calls it", () => {
    const metrics = (versionId: string, requests: number, errors: number, p95Ms: number) => ({
      versionId,
      requests,
      errors,
      p95Ms,
    });
    const report: DeployReport = {
      kind: "deploy",
      target: "production",
      ok: false,
      dryRun: false,
      startedAt: "2026-12-06T00:00:00Z",
      durationMs: 60_000,
      waves: [["db"]],
      services: [
        {
          service: "db",
          worker: "db-production",
          wave: 1,
          outcome: "failed",
          previousVersion: "old-version-id",
          newVersion: "new-version-id",
          smoke: [{ name: "health", ok: true, durationMs: 5 }],
          steps: [
            {
              percentage: 10,
              startedAt: "2026-12-06T00:00:10Z",
              analysis: {
                verdict: "fail",
                reason: "error rate 20.0% is above the 5.0% ceiling",
                old: metrics("old-version-id", 90, 0, 40),
                new: metrics("new-version-id", 10, 2, 45),
                // What canary analysis may add: a third version's numbers, named by its field.
                baseline: metrics("base-version-id", 50, 0, 41),
              } as never,
            },
          ],
          timings: {},
          durationMs: 60_000,
        },
      ],
    };
    const html = renderDeployHtml(report);
    const windowRows = [
      ...html.matchAll(
        /<tr><td>10%<\/td><td>(\w+)<\/td><td>([\w-]+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td><td>([^<]+)<\/td>/g,
      ),
    ].map((match) => match.slice(1));
    expect(windowRows).toEqual([
      ["old", "old-vers", "90", "0", "0%"],
      ["new", "new-vers", "10", "2", "20%"],
      ["baseline", "base-ver", "50", "0", "0%"],
    ]);
    expect(html).toContain('data-status="fail"');
    expect(html).toContain('<p class="verdict failed" id="verdict" data-state="failed">');
  });
});

describe("the DORA report", () => {
  const classify: Record<keyof typeof BAND_RANGES, (value: number) => Band> = {
    frequency: deploymentFrequencyBand,
    leadTime: (hours) => leadTimeBand(hours * HOUR),
    failureRate: (percent) => changeFailureRateBand(percent / 100),
    restore: (hours) => timeToRestoreBand(hours * HOUR),
  };

  it.each(Object.keys(BAND_RANGES) as (keyof typeof BAND_RANGES)[])(
    "shades %s's bands where bands.ts classifies, on both sides of every edge",
    (metric) => {
      for (const range of BAND_RANGES[metric]) {
        expect(classify[metric](range.from + (Math.min(range.to, 1e4) - range.from) / 2)).toBe(
          range.band,
        );
        expect(classify[metric](range.from * 1.001 + 1e-9)).toBe(range.band);
        if (range.to < 1e9) expect(classify[metric](range.to * 0.999)).toBe(range.band);
      }
    },
  );

  it("buckets the runs by week: count, runs a day, median lead time, failure rate, median restore", () => {
    expect(doraWeeks(fourWeekDoraReport())).toEqual([
      { start: "2026-11-08", runs: 1, perDay: 0.14, leadTimeHours: 60, failureRatePercent: 0 },
      {
        start: "2026-11-15",
        runs: 3,
        perDay: 0.43,
        leadTimeHours: 25,
        failureRatePercent: 33.33,
        restoreHours: 2,
      },
      { start: "2026-11-22", runs: 3, perDay: 0.43, leadTimeHours: 8, failureRatePercent: 0 },
      { start: "2026-11-29", runs: 5, perDay: 0.71, leadTimeHours: 2, failureRatePercent: 0 },
    ]);
  });

  it("cites DORA's published report for its bands and charts the four metrics", () => {
    const html = renderDoraHtml(fourWeekDoraReport());
    expect(html).toContain("Accelerate State of DevOps Report 2023");
    expect(html).toContain("https://dora.dev/research/2023/dora-report/");
    expect([...html.matchAll(/<canvas id="(dora-\w+)"/g)].map((match) => match[1])).toEqual([
      "dora-frequency",
      "dora-leadTime",
      "dora-failureRate",
      "dora-restore",
    ]);
  });
});
