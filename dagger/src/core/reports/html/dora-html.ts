import type { Band } from "../../dora/bands.js";
import type { DeployRun, DoraReport } from "../../dora/metrics.js";
import type { HtmlOptions } from "./ci-html.js";
import { escapeHtml, htmlTable } from "./markup.js";
import { type ChartSpec, chartFigure, renderPage } from "./page.js";
import { COLOURS } from "./palette.js";

/**
 * Where DORA's published performance levels sit: DORA, "Accelerate State of DevOps Report
 * 2023", the software delivery performance table (https://dora.dev/research/2023/dora-report/).
 * The same edges as dagger/src/core/dora/bands.ts, which classifies the headline figures;
 * tests/core/reports/dora-html.test.ts checks that the two agree at every edge.
 */
export const BAND_SOURCE =
  'DORA, "Accelerate State of DevOps Report 2023", software delivery performance levels';
export const BAND_SOURCE_URL = "https://dora.dev/research/2023/dora-report/";

interface BandRange {
  band: Band;
  from: number;
  to: number;
}

const HOURS_IN = { day: 24, week: 168, month: 720 } as const;
const NO_LIMIT = 1e9;

/** Each metric's bands in the unit its chart plots. */
export const BAND_RANGES: Record<
  "frequency" | "leadTime" | "failureRate" | "restore",
  BandRange[]
> = {
  // deploy runs a day
  frequency: [
    { band: "low", from: 0, to: 1 / 30 },
    { band: "medium", from: 1 / 30, to: 1 / 7 },
    { band: "high", from: 1 / 7, to: 1 },
    { band: "elite", from: 1, to: NO_LIMIT },
  ],
  // hours
  leadTime: [
    { band: "elite", from: 0, to: HOURS_IN.day },
    { band: "high", from: HOURS_IN.day, to: HOURS_IN.week },
    { band: "medium", from: HOURS_IN.week, to: HOURS_IN.month },
    { band: "low", from: HOURS_IN.month, to: NO_LIMIT },
  ],
  // percent
  failureRate: [
    { band: "elite", from: 0, to: 5 },
    { band: "high", from: 5, to: 10 },
    { band: "medium", from: 10, to: 15 },
    { band: "low", from: 15, to: 100 },
  ],
  // hours
  restore: [
    { band: "elite", from: 0, to: 1 },
    { band: "high", from: 1, to: HOURS_IN.day },
    { band: "medium", from: HOURS_IN.day, to: HOURS_IN.week },
    { band: "low", from: HOURS_IN.week, to: NO_LIMIT },
  ],
};

// Light tints so the data stays readable on top; each band is also labelled in words.
const BAND_TINT: Record<Band, string> = {
  elite: "rgba(0, 158, 115, 0.16)",
  high: "rgba(86, 180, 233, 0.18)",
  medium: "rgba(240, 228, 66, 0.28)",
  low: "rgba(213, 94, 0, 0.14)",
};

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface DoraWeek {
  /** ISO date the week starts. */
  start: string;
  runs: number;
  perDay: number;
  leadTimeHours?: number;
  failureRatePercent?: number;
  restoreHours?: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const round = (value: number) => Math.round(value * 100) / 100;

/** The window's runs in seven-day buckets, the last ending where the window ends. */
export function doraWeeks(report: DoraReport): DoraWeek[] {
  const end = Date.parse(report.window.end);
  const start = Date.parse(report.window.start);
  const count = Math.max(1, Math.ceil((end - start) / (7 * DAY_MS)));
  return Array.from({ length: count }, (_, index) => {
    const weekEnd = end - (count - 1 - index) * 7 * DAY_MS;
    const weekStart = weekEnd - 7 * DAY_MS;
    const runs = report.runs.filter((run: DeployRun) => {
      const at = Date.parse(run.start);
      return at > weekStart && at <= weekEnd;
    });
    const lead = median(
      runs.flatMap((run) => (run.leadTimeMs === undefined ? [] : [run.leadTimeMs])),
    );
    const restore = median(
      runs.flatMap((run) => (run.restoreMs === undefined ? [] : [run.restoreMs])),
    );
    return {
      start: new Date(weekStart).toISOString().slice(0, 10),
      runs: runs.length,
      perDay: round(runs.length / 7),
      ...(lead === undefined ? {} : { leadTimeHours: round(lead / HOUR_MS) }),
      ...(runs.length === 0
        ? {}
        : {
            failureRatePercent: round(
              (runs.filter((run) => run.failed).length / runs.length) * 100,
            ),
          }),
      ...(restore === undefined ? {} : { restoreHours: round(restore / HOUR_MS) }),
    };
  });
}

interface MetricChart {
  key: keyof typeof BAND_RANGES;
  title: string;
  unit: string;
  value: (week: DoraWeek) => number | undefined;
  /** The axis always shows at least this much, so the bands nearest zero are visible. */
  minTop: number;
}

const METRICS: MetricChart[] = [
  {
    key: "frequency",
    title: "Deployment frequency",
    unit: "deploy runs a day",
    value: (week) => week.perDay,
    minTop: 2,
  },
  {
    key: "leadTime",
    title: "Lead time for changes (median)",
    unit: "hours",
    value: (week) => week.leadTimeHours,
    minTop: 48,
  },
  {
    key: "failureRate",
    title: "Change failure rate",
    unit: "% of deploy runs",
    value: (week) => week.failureRatePercent,
    minTop: 20,
  },
  {
    key: "restore",
    title: "Time to restore (median)",
    unit: "hours",
    value: (week) => week.restoreHours,
    minTop: 2,
  },
];

function metricChart(metric: MetricChart, weeks: DoraWeek[]): ChartSpec {
  const values = weeks.map((week) => metric.value(week) ?? null);
  const top = Math.max(metric.minTop, ...values.map((value) => (value ?? 0) * 1.2));
  return {
    canvas: `dora-${metric.key}`,
    config: {
      type: "line",
      data: {
        labels: weeks.map((week) => `week of ${week.start}`),
        datasets: [
          {
            label: `${metric.title} (${metric.unit})`,
            data: values,
            borderColor: COLOURS.black,
            backgroundColor: COLOURS.black,
            pointRadius: 4,
            spanGaps: false,
          },
        ],
      },
      options: {
        plugins: {
          legend: { display: false },
          bands: {
            axis: "y",
            ranges: BAND_RANGES[metric.key].map((range) => ({
              from: range.from,
              to: Math.min(range.to, top),
              color: BAND_TINT[range.band],
              label: range.band,
            })),
          },
        },
        scales: { y: { min: 0, max: round(top), title: { display: true, text: metric.unit } } },
      },
    },
  };
}

const show = (value: number | undefined) => (value === undefined ? "-" : String(value));

/** The `dora` report: each of the four metrics week by week over DORA's bands. */
export function renderDoraHtml(report: DoraReport, options: HtmlOptions = {}): string {
  const weeks = doraWeeks(report);
  const charts = METRICS.map((metric) => metricChart(metric, weeks));
  const table = htmlTable(
    "The four metrics per week",
    [
      "week of",
      "deploy runs",
      "runs a day",
      "lead time (h, median)",
      "change failure rate (%)",
      "time to restore (h, median)",
    ],
    weeks.map((week) => [
      week.start,
      String(week.runs),
      String(week.perDay),
      show(week.leadTimeHours),
      show(week.failureRatePercent),
      show(week.restoreHours),
    ]),
    ' id="dora-weeks"',
  );
  const bandRows = (Object.keys(BAND_RANGES) as (keyof typeof BAND_RANGES)[]).map((key) => [
    METRICS.find((metric) => metric.key === key)?.title ?? key,
    ...(["elite", "high", "medium", "low"] as Band[]).map((band) => {
      const range = BAND_RANGES[key].find((candidate) => candidate.band === band) as BandRange;
      return range.to >= NO_LIMIT
        ? `≥ ${round(range.from)}`
        : `${round(range.from)} – ${round(range.to)}`;
    }),
  ]);
  const body = [
    `<h1>DORA metrics: ${escapeHtml(report.target)}</h1>`,
    `<p class="meta">${escapeHtml(report.window.start)} to ${escapeHtml(report.window.end)} (${report.window.days} days), ${report.runs.length} deploy runs, ${report.rollbacks} ${report.rollbacks === 1 ? "rollback" : "rollbacks"}</p>`,
    `<p class="verdict" id="verdict" data-state="passed">Deployment frequency ${escapeHtml(report.deploymentFrequency.band ?? "no data")}, lead time ${escapeHtml(report.leadTime.band ?? "no data")}, change failure rate ${escapeHtml(report.changeFailureRate.band ?? "no data")}, time to restore ${escapeHtml(report.timeToRestore.band ?? "no data")}</p>`,
    ...METRICS.map((metric, index) =>
      chartFigure(
        `dora-${metric.key}`,
        `${metric.title} per week (${metric.unit}), over DORA's bands`,
        220,
        index === METRICS.length - 1 ? table : "",
      ),
    ),
    `<div class="scroll">${htmlTable("DORA's bands, in the units above", ["metric", "elite", "high", "medium", "low"], bandRows)}</div>`,
    `<p class="meta">Bands: ${escapeHtml(BAND_SOURCE)}, <a href="${BAND_SOURCE_URL}">${BAND_SOURCE_URL}</a>. Low takes the 2024 report's description where the 2023 low and medium clusters overlap.</p>`,
    ...report.notes.map((note) => `<p class="meta">${escapeHtml(note)}</p>`),
  ].join("\n");
  return renderPage({ title: `DORA metrics: ${report.target}`, body, charts, ...options });
}
