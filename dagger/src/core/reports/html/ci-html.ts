import { criticalPath } from "../../critical-path.js";
import type { RunResult, StepResult } from "../../scheduler.js";
import { coverageRows } from "../coverage-rows.js";
import { formatDuration, STATUS_LABEL } from "../format.js";
import { escapeHtml, htmlTable } from "./markup.js";
import { type ChartSpec, chartFigure, renderPage, TIMELINE_OPTIONS } from "./page.js";
import { COLOURS, outcomeColour, outcomeSymbol } from "./palette.js";

/** A `ci` run (or any run of steps) as the HTML report shows it, finished or still running. */
export interface StepsRunView {
  title: string;
  /** ISO time the run started. */
  startedAt: string;
  /** Each step's id, title and needs, in declaration order: what the critical path runs through. */
  graph: { id: string; title: string; needs: string[] }[];
  /** The finished run; absent while it runs. */
  run?: RunResult;
  /** While it runs: the steps finished so far, and the ids of those under way. */
  progress?: { finished: StepResult[]; running: string[] };
  /** The process running it ended before the run did: `progress` is where it stopped. */
  stopped?: boolean;
}

/**
 * `cached`: the step cache restored the step's result instead of running it. The cache marks
 * it either as a status of its own or as a flag beside `passed`; both read as cached here.
 */
export function isCached(step: StepResult): boolean {
  return (step.status as string) === "cached" || (step as { cached?: boolean }).cached === true;
}

type RowStatus = "passed" | "failed" | "cached" | "running" | "pending" | StepResult["status"];

interface StepRow {
  id: string;
  title: string;
  status: RowStatus;
  result?: StepResult;
  critical: boolean;
}

function statusLabel(status: RowStatus): string {
  if (status === "cached") return "CACHED";
  if (status === "running") return "RUNNING";
  if (status === "pending") return "WAITING";
  return STATUS_LABEL[status] ?? status.toUpperCase();
}

function statusCell(status: RowStatus): { html: string } {
  return {
    html: `<span class="status ${escapeHtml(status)}" data-status="${escapeHtml(status)}">${outcomeSymbol(status)} ${escapeHtml(statusLabel(status))}</span>`,
  };
}

function rowsOf(view: StepsRunView): StepRow[] {
  const results = new Map(
    (view.run?.steps ?? view.progress?.finished ?? []).map((step) => [step.id, step]),
  );
  const running = new Set(view.progress?.running ?? []);
  // Measured durations only: a step that never ran adds nothing to the path.
  const durations = Object.fromEntries(
    [...results.values()]
      .filter((step) => step.startedAt !== undefined && !isCached(step))
      .map((step) => [step.id, step.durationMs]),
  );
  const critical = new Set(criticalPath(view.graph, durations).path);
  return view.graph.map((step) => {
    const result = results.get(step.id);
    const status: RowStatus =
      result === undefined
        ? running.has(step.id)
          ? "running"
          : "pending"
        : isCached(result)
          ? "cached"
          : result.status;
    return {
      id: step.id,
      title: step.title,
      status,
      ...(result ? { result } : {}),
      critical: critical.has(step.id) && durations[step.id] !== undefined,
    };
  });
}

function stateOf(view: StepsRunView): "running" | "stopped" | "passed" | "failed" {
  if (view.run === undefined) return view.stopped ? "stopped" : "running";
  return view.run.exitCode === 0 ? "passed" : "failed";
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function gantt(rows: StepRow[]): ChartSpec | undefined {
  const started = rows.filter((row) => row.result?.startedAt !== undefined);
  if (started.length === 0) return undefined;
  return {
    canvas: "gantt",
    config: {
      type: "bar",
      data: {
        // The marker keeps the critical path readable without colour.
        labels: started.map((row) => `${row.critical ? "★ " : ""}${row.id}`),
        datasets: [
          {
            label: "step",
            data: started.map((row) => {
              const start = row.result?.startedAt ?? 0;
              return [seconds(start), seconds(start + (row.result?.durationMs ?? 0))];
            }),
            backgroundColor: started.map((row) => outcomeColour(row.status)),
            borderColor: started.map((row) => (row.critical ? COLOURS.black : "transparent")),
            borderWidth: started.map((row) => (row.critical ? 3 : 0)),
            borderSkipped: false,
            minBarLength: 3,
          },
        ],
      },
      options: TIMELINE_OPTIONS,
    },
  };
}

function timelineTable(rows: StepRow[]): string {
  return htmlTable(
    "Steps: status, start and duration (★ marks the critical path)",
    ["step", "status", "started at", "duration", "critical path"],
    rows.map((row) => [
      row.id,
      statusCell(row.status),
      row.result?.startedAt === undefined ? "-" : `+${formatDuration(row.result.startedAt)}`,
      row.result?.startedAt === undefined ? "-" : formatDuration(row.result.durationMs),
      row.critical ? "★ yes" : "",
    ]),
    ' id="steps"',
  );
}

function logs(rows: StepRow[]): string {
  const withLogs = rows.filter((row) => row.result !== undefined);
  if (withLogs.length === 0) return "";
  return [
    "<h2>Logs</h2>",
    '<p class="meta">The last lines of each step\'s output; failed steps are open.</p>',
    ...withLogs.map((row) => {
      const result = row.result as StepResult;
      const reason = result.reason ? ` (${result.reason})` : "";
      return [
        `<details data-step="${escapeHtml(row.id)}"${row.status === "failed" ? " open" : ""}>`,
        `<summary>${outcomeSymbol(row.status)} ${escapeHtml(row.id)}: ${escapeHtml(statusLabel(row.status))}${escapeHtml(reason)}</summary>`,
        `<pre>${escapeHtml(result.logTail.trimEnd() || "(no output)")}</pre>`,
        "</details>",
      ].join("");
    }),
  ].join("\n");
}

function coverage(view: StepsRunView): string {
  if (view.run === undefined) return "";
  const table = coverageRows(view.run);
  if (table === undefined) return "";
  return [
    `<h2>Coverage (threshold ${table.threshold}%)</h2>`,
    `<div class="scroll">${htmlTable("Coverage per subject", table.header, table.rows, ' id="coverage"')}</div>`,
  ].join("\n");
}

function headline(view: StepsRunView, rows: StepRow[]): string {
  const state = stateOf(view);
  const count = (status: RowStatus) => rows.filter((row) => row.status === status).length;
  const tally = `${count("passed")} passed, ${count("cached")} cached, ${count("failed")} failed, ${rows.length - count("passed") - count("cached") - count("failed")} other`;
  const running = view.progress?.running.length ?? 0;
  const underWay = `${running} ${running === 1 ? "step" : "steps"}`;
  const text =
    state === "running"
      ? `RUNNING: ${underWay} under way (${tally})`
      : state === "stopped"
        ? `STOPPED: the process ended before the run did, with ${underWay} under way (${tally})`
        : `${state === "passed" ? "PASSED" : "FAILED"} in ${formatDuration(view.run?.durationMs ?? 0)} (${tally})`;
  return `<p class="verdict ${state}" id="verdict" data-state="${state}">${escapeHtml(text)}</p>`;
}

function criticalPathText(rows: StepRow[]): string {
  const path = rows.filter((row) => row.critical);
  if (path.length === 0) return "";
  const total = path.reduce((sum, row) => sum + (row.result?.durationMs ?? 0), 0);
  return `<p id="critical-path">Critical path (${formatDuration(total)}): ${path.map((row) => escapeHtml(row.id)).join(" → ")}. No scheduler could finish sooner than this chain on any number of cores.</p>`;
}

export interface HtmlOptions {
  /** The chart library's browser bundle; see PageInput.chartLibrary. */
  chartLibrary?: string;
  /** See PageInput.liveEventsUrl. */
  liveEventsUrl?: string;
}

/** The `ci` report: the verdict, a Gantt chart of the steps with the critical path, logs, coverage. */
export function renderStepsRunHtml(view: StepsRunView, options: HtmlOptions = {}): string {
  const rows = rowsOf(view);
  const chart = gantt(rows);
  const body = [
    `<h1>${escapeHtml(view.title)}</h1>`,
    `<p class="meta">started ${escapeHtml(view.startedAt)}${view.run ? `, ${view.run.concurrency} steps at once` : ""}</p>`,
    headline(view, rows),
    "<h2>Timeline</h2>",
    criticalPathText(rows),
    chart
      ? chartFigure(
          "gantt",
          "When each step ran; outlined bars and ★ are the critical path, light blue bars were restored from the cache",
          60 + 22 * rows.filter((row) => row.result?.startedAt !== undefined).length,
          timelineTable(rows),
        )
      : `<div class="scroll">${timelineTable(rows)}</div>`,
    coverage(view),
    logs(rows),
  ].join("\n");
  return renderPage({
    title: `${view.title}: ${stateOf(view)}`,
    body,
    charts: chart ? [chart] : [],
    ...options,
  });
}
