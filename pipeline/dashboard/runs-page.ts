import { escapeHtml, formatDuration, renderPage } from "#core";
import { type RunRecord, shownState } from "../host/run-records.js";

const SYMBOL: Record<ReturnType<typeof shownState>, string> = {
  running: "…",
  stopped: "■",
  passed: "✓",
  failed: "✗",
};

function duration(record: RunRecord): string {
  const ms = Date.parse(record.updatedAt) - Date.parse(record.startedAt);
  return record.state === "running" ? `${formatDuration(ms)} so far` : formatDuration(ms);
}

/**
 * The dashboard's front page: every recorded run, newest first; it reloads on each `update` of
 * `eventsUrl`, as runs start, progress and finish.
 */
export function renderRunsPage(records: RunRecord[], eventsUrl: string): string {
  const rows = records.map((record) => {
    const state = shownState(record);
    return `<tr data-run="${escapeHtml(record.id)}"><td><a href="/runs/${encodeURIComponent(record.id)}">${escapeHtml(record.title)}</a></td><td>${escapeHtml(record.kind)}</td><td><span class="status ${state}" data-status="${state}">${SYMBOL[state]} ${state}</span></td><td>${escapeHtml(record.startedAt)}</td><td>${escapeHtml(duration(record))}</td></tr>`;
  });
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
    body: '<h1>DORA metrics</h1><nav><a href="/">Runs</a></nav><p id="no-dora">No DORA report recorded yet: run <code>pnpm run pipeline dora --env @local</code> (or another environment), and its weekly view appears here.</p>',
    charts: [],
  });
}

/**
 * A deploy, release or rollback under way: the wave it is on and every progress line so far,
 * reloading on each `update` of `eventsUrl`. Its full report replaces the page when it ends.
 */
export function renderRunningDeployPage(record: RunRecord, eventsUrl: string): string {
  const lines = record.lines ?? [];
  const wave = lines.findLast((line) => /^wave \d+\/\d+: /.test(line.trim()));
  const body = [
    `<h1>${escapeHtml(record.title)}</h1>`,
    '<nav><a href="/">Runs</a><a href="/dora">DORA</a></nav>',
    shownState(record) === "stopped"
      ? `<p class="verdict failed" id="verdict" data-state="stopped">■ STOPPED: the process ended before the run did${wave ? `, during ${escapeHtml(wave.trim())}` : ""}</p>`
      : `<p class="verdict running" id="verdict" data-state="running">… RUNNING for ${escapeHtml(duration(record))}${wave ? `: ${escapeHtml(wave.trim())}` : ""}</p>`,
    "<h2>Progress</h2>",
    `<pre id="progress">${escapeHtml(lines.join("\n") || "(nothing printed yet)")}</pre>`,
  ].join("\n");
  return renderPage({
    title: `${record.title}: running`,
    body,
    charts: [],
    liveEventsUrl: eventsUrl,
  });
}
