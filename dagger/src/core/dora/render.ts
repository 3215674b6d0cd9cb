import { markdownTable, textTable } from "../reports/format.js";
import type { Band } from "./bands.js";
import type { DoraReport } from "./metrics.js";

const BAND_SOURCE =
  "DORA Accelerate State of DevOps Report 2023 (low frequency and lead time: 2024)";

/** A span in the two largest units that matter: `42s`, `14m`, `3h 12m`, `2d 4h`. */
export function formatSpan(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const seconds = Math.round(Math.abs(ms) / 1000);
  const [d, h, m, s] = [
    Math.floor(seconds / 86_400),
    Math.floor(seconds / 3600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  if (d > 0) return `${sign}${d}d${h > 0 ? ` ${h}h` : ""}`;
  if (h > 0) return `${sign}${h}h${m > 0 ? ` ${m}m` : ""}`;
  if (m > 0) return `${sign}${m}m${s > 0 ? ` ${s}s` : ""}`;
  return `${sign}${s}s`;
}

function rate(value: number): string {
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** `2026-11-29 12:00 UTC` */
function when(isoTime: string): string {
  return `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)} UTC`;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
const runs = (count: number) => plural(count, "run");

/** The four metrics as table rows: metric, value, band. */
function metricRows(report: DoraReport): string[][] {
  const none = report.runs.length === 0 ? "no data (no deploy runs in the window)" : undefined;
  const band = (value: Band | undefined) => value ?? "-";
  const frequency = report.deploymentFrequency;
  const lead = report.leadTime;
  const failures = report.changeFailureRate;
  const restore = report.timeToRestore;
  return [
    [
      "deployment frequency",
      none ??
        `${rate(frequency.perDay)}/day (${rate(frequency.perWeek)}/week), ${runs(frequency.runs)}`,
      band(frequency.band),
    ],
    [
      "lead time for changes",
      none ??
        (lead.medianMs === undefined
          ? "no data (no run with a known commit time reached 100%)"
          : `median ${formatSpan(lead.medianMs)}${lead.p90Ms === undefined ? "" : `, p90 ${formatSpan(lead.p90Ms)}`} over ${runs(lead.runs)}`),
      band(lead.band),
    ],
    [
      "change failure rate",
      none ??
        `${(100 * (failures.rate ?? 0)).toFixed(1)}% (${failures.failed} of ${runs(failures.runs)})`,
      band(failures.band),
    ],
    [
      "time to restore",
      none ??
        (restore.medianMs === undefined
          ? "no data (no failed run)"
          : `median ${formatSpan(restore.medianMs)} over ${runs(restore.runs)}`),
      band(restore.band),
    ],
  ];
}

/** The window and what happened in it. */
function counts(report: DoraReport): string {
  return `${when(report.window.start)} to ${when(report.window.end)}: ${plural(report.runs.length, "deploy run")}, ${report.changeFailureRate.failed} failed, ${plural(report.rollbacks, "rollback deployment")}`;
}

function failedRunLines(report: DoraReport): string[] {
  return report.runs
    .filter((run) => run.failed)
    .map(
      (run) =>
        `run ${run.id}${run.commit ? ` (commit ${run.commit.slice(0, 12)})` : ""} on ${run.services.join(", ")}, deployed ${when(run.start)}, restored after ${formatSpan(run.restoreMs ?? 0)}`,
    );
}

const HEADER = ["metric", "value", "DORA band"];

export function renderDoraText(report: DoraReport): string {
  const failed = failedRunLines(report);
  return [
    `DORA metrics for ${report.target}, last ${report.since} (${counts(report)})`,
    "",
    textTable(HEADER, metricRows(report)),
    "",
    `bands: ${BAND_SOURCE}`,
    ...(failed.length > 0 ? ["failed runs:", ...failed.map((line) => `  ${line}`)] : []),
    ...(report.notes.length > 0 ? ["notes:", ...report.notes.map((note) => `  - ${note}`)] : []),
  ].join("\n");
}

export function renderDoraMarkdown(report: DoraReport): string {
  const failed = failedRunLines(report);
  return [
    `## DORA metrics: ${report.target}, last ${report.since}`,
    "",
    `${counts(report)}.`,
    "",
    markdownTable(HEADER, metricRows(report)),
    "",
    `Bands: ${BAND_SOURCE}.`,
    ...(failed.length > 0 ? ["", "**Failed runs**", "", ...failed.map((line) => `- ${line}`)] : []),
    ...(report.notes.length > 0
      ? ["", "**Notes**", "", ...report.notes.map((note) => `- ${note}`)]
      : []),
    "",
  ].join("\n");
}

export function renderDoraJson(report: DoraReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
