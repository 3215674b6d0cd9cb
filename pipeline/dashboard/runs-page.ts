import { escapeHtml, formatDuration, renderPage } from "#core";
import type { RunRecord } from "../host/run-records.js";

const SYMBOL: Record<RunRecord["state"], string> = { running: "…", passed: "✓", failed: "✗" };

function duration(record: RunRecord): string {
  const ms = Date.parse(record.updatedAt) - Date.parse(record.startedAt);
  return record.state === "running" ? `${formatDuration(ms)} so far` : formatDuration(ms);
}

/**
 * The dashboard's front page: every recorded run, newest first; it reloads on each `update` of
 * `eventsUrl`, as runs start, progress and finish.
 */
export function renderRunsPage(records: RunRecord[], eventsUrl: string): string {
  const rows = records.map(
    (record) =>
      `<tr data-run="${escapeHtml(record.id)}"><td><a href="/runs/${encodeURIComponent(record.id)}">${escapeHtml(record.title)}</a></td><td>${escapeHtml(record.kind)}</td><td><span class="status ${record.state}" data-status="${record.state}">${SYMBOL[record.state]} ${record.state}</span></td><td>${escapeHtml(record.startedAt)}</td><td>${escapeHtml(duration(record))}</td></tr>`,
  );
  const body = [
    "<h1>Pipeline runs</h1>",
    '<nav><a href="/">Runs</a><a href="/dora">DORA</a></nav>',
    records.length === 0
      ? '<p id="no-runs">No runs recorded in .pipeline/runs yet: run <code>pnpm run pipeline ci</code>, and it appears here live.</p>'
      : `<div class="scroll"><table id="runs"><caption>Runs recorded in .pipeline/runs, newest first</caption><thead><tr><th scope="col">run</th><th scope="col">kind</th><th scope="col">state</th><th scope="col">started</th><th scope="col">duration</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`,
  ].join("\n");
  return renderPage({ title: "Pipeline runs", body, charts: [], liveEventsUrl: eventsUrl });
}

/** The DORA view when no `dora` run has been recorded. */
export function renderNoDoraPage(): string {
  return renderPage({
    title: "DORA metrics",
    body: '<h1>DORA metrics</h1><nav><a href="/">Runs</a></nav><p id="no-dora">No DORA report recorded yet: run <code>pnpm run pipeline dora --env local</code> (or another environment), and its weekly view appears here.</p>',
    charts: [],
  });
}
