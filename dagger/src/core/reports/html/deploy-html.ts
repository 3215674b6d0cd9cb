import type { WindowAnalysis } from "../../deploy/canary-analysis.js";
import type {
  AnyDeployReport,
  DeployReport,
  ReleaseReport,
  RollbackCommandReport,
  ServiceReport,
} from "../../deploy/report.js";
import type { VersionMetrics } from "../../deploy/version-metrics.js";
import { formatDuration } from "../format.js";
import type { HtmlOptions } from "./ci-html.js";
import { escapeHtml, htmlTable } from "./markup.js";
import { type ChartSpec, chartFigure, renderPage, TIMELINE_OPTIONS } from "./page.js";
import { COLOURS, outcomeColour, outcomeSymbol } from "./palette.js";

const VERSION_COLOURS = [COLOURS.blue, COLOURS.orange, COLOURS.green, COLOURS.purple];

function statusCell(status: string): { html: string } {
  return {
    html: `<span class="status ${escapeHtml(status)}" data-status="${escapeHtml(status)}">${outcomeSymbol(status)} ${escapeHtml(status)}</span>`,
  };
}

const shortVersion = (version: string | null | undefined) =>
  version === null || version === undefined ? "(none)" : version.slice(0, 8);

/** Each service's bar, the waves one after another: a wave starts when the previous one ends. */
function wavesChart(report: DeployReport, id: string): ChartSpec | undefined {
  const bars: { label: string; from: number; to: number; colour: string }[] = [];
  let offset = 0;
  report.waves.forEach((names, index) => {
    const services = report.services.filter((service) => names.includes(service.service));
    for (const service of services) {
      bars.push({
        label: `wave ${index + 1}: ${service.service}`,
        from: offset / 1000,
        to: (offset + service.durationMs) / 1000,
        colour: outcomeColour(service.outcome),
      });
    }
    offset += Math.max(0, ...services.map((service) => service.durationMs));
  });
  if (bars.length === 0) return undefined;
  return {
    canvas: id,
    config: {
      type: "bar",
      data: {
        labels: bars.map((bar) => bar.label),
        datasets: [
          {
            label: "service",
            data: bars.map((bar) => [bar.from, bar.to]),
            backgroundColor: bars.map((bar) => bar.colour),
            borderSkipped: false,
            minBarLength: 3,
          },
        ],
      },
      options: TIMELINE_OPTIONS,
    },
  };
}

function health(service: ServiceReport): string {
  if (service.health === undefined) return "-";
  return service.health.ok
    ? `✓ ok (${service.health.attempts} ${service.health.attempts === 1 ? "attempt" : "attempts"})`
    : `✗ ${service.health.failure ?? "failed"}`;
}

function smoke(service: ServiceReport): string {
  if (service.smoke.length === 0) return "-";
  const passed = service.smoke.filter((test) => test.ok).length;
  const failed = service.smoke.filter((test) => !test.ok).map((test) => test.name);
  return `${passed}/${service.smoke.length} passed${failed.length > 0 ? `; ✗ ${failed.join(", ")}` : ""}`;
}

function servicesTable(report: DeployReport): string {
  return htmlTable(
    `Services deployed to ${report.target}`,
    [
      "service",
      "wave",
      "outcome",
      "old version",
      "new version",
      "health",
      "smoke tests",
      "rollback",
      "duration",
      "failure",
    ],
    report.services.map((service) => [
      service.service,
      String(service.wave),
      statusCell(service.outcome),
      shortVersion(service.previousVersion),
      shortVersion(service.newVersion),
      health(service),
      smoke(service),
      service.rollback ? `${service.rollback.outcome}: ${service.rollback.note}` : "-",
      formatDuration(service.durationMs),
      service.failure ?? "",
    ]),
    ' class="services"',
  );
}

/**
 * The versions a window measured, named by their field: `old` and `new` today; whatever else
 * canary analysis adds that carries a version's metrics shows up the same way.
 */
function versionsOf(analysis: WindowAnalysis): [string, VersionMetrics][] {
  return Object.entries(analysis).filter(
    (entry): entry is [string, VersionMetrics] =>
      typeof entry[1] === "object" &&
      entry[1] !== null &&
      typeof (entry[1] as { requests?: unknown }).requests === "number",
  );
}

const errorRatePercent = (metrics: VersionMetrics) =>
  metrics.requests === 0 ? null : Math.round((metrics.errors / metrics.requests) * 10_000) / 100;

function windowsSection(
  service: ServiceReport,
  chartId: string,
): { html: string; chart?: ChartSpec } {
  const windows = (service.steps ?? []).filter((step) => step.analysis !== undefined);
  if (windows.length === 0) return { html: "" };
  const names = [
    ...new Set(
      windows.flatMap((step) => versionsOf(step.analysis as WindowAnalysis).map(([name]) => name)),
    ),
  ];
  const metricsOf = (analysis: WindowAnalysis, name: string) =>
    versionsOf(analysis).find(([key]) => key === name)?.[1];
  const datasets = names.flatMap((name, index) => {
    const colour = VERSION_COLOURS[index % VERSION_COLOURS.length];
    return [
      {
        type: "bar",
        label: `${name} version error rate (%)`,
        data: windows.map((step) => {
          const metrics = metricsOf(step.analysis as WindowAnalysis, name);
          return metrics ? errorRatePercent(metrics) : null;
        }),
        backgroundColor: colour,
        yAxisID: "errors",
      },
      {
        type: "line",
        label: `${name} version p95 (ms)`,
        data: windows.map(
          (step) => metricsOf(step.analysis as WindowAnalysis, name)?.p95Ms ?? null,
        ),
        borderColor: colour,
        backgroundColor: colour,
        // Dashes and point shapes tell the versions apart without their colours.
        borderDash: index === 0 ? [] : [6, 4],
        pointStyle: index === 0 ? "circle" : "triangle",
        pointRadius: 5,
        yAxisID: "latency",
      },
    ];
  });
  const chart: ChartSpec = {
    canvas: chartId,
    config: {
      data: {
        labels: windows.map(
          (step) => `${step.percentage}% (${(step.analysis as WindowAnalysis).verdict})`,
        ),
        datasets,
      },
      options: {
        scales: {
          errors: {
            type: "linear",
            position: "left",
            min: 0,
            title: { display: true, text: "error rate (%)" },
          },
          latency: {
            type: "linear",
            position: "right",
            min: 0,
            title: { display: true, text: "p95 (ms)" },
            grid: { drawOnChartArea: false },
          },
        },
      },
    },
  };
  const rows = windows.flatMap((step) => {
    const analysis = step.analysis as WindowAnalysis;
    return versionsOf(analysis).map(([name, metrics]) => [
      `${step.percentage}%`,
      name,
      shortVersion(metrics.versionId),
      String(metrics.requests),
      String(metrics.errors),
      errorRatePercent(metrics) === null ? "-" : `${errorRatePercent(metrics)}%`,
      metrics.p95Ms === undefined ? "-" : `${metrics.p95Ms.toFixed(1)} ms`,
      statusCell(analysis.verdict),
      analysis.reason,
    ]);
  });
  const table = htmlTable(
    `${service.service}: each analysis window, per version`,
    ["window", "version", "id", "requests", "errors", "error rate", "p95", "verdict", "why"],
    rows,
    ' class="windows"',
  );
  return {
    html: [
      `<h3>${escapeHtml(service.service)}: gradual rollout</h3>`,
      chartFigure(
        chartId,
        `${service.service}: error rate (bars) and p95 (lines) of each version in each window`,
        280,
        table,
      ),
    ].join("\n"),
    chart,
  };
}

function deploySection(
  report: DeployReport,
  prefix: string,
): { html: string; charts: ChartSpec[] } {
  const timeline = wavesChart(report, `${prefix}waves`);
  const windows = report.services.map((service, index) =>
    windowsSection(service, `${prefix}windows-${index}`),
  );
  const waveRows = report.waves.map((names, index) => [`wave ${index + 1}`, names.join(", ")]);
  const html = [
    `<p class="meta">target ${escapeHtml(report.target)}, started ${escapeHtml(report.startedAt)}, ${escapeHtml(formatDuration(report.durationMs))}${report.gradual ? ", gradual rollout" : ""}${report.dryRun ? ", dry run" : ""}</p>`,
    "<h2>Waves</h2>",
    timeline
      ? chartFigure(
          `${prefix}waves`,
          "Each wave's services over time, one wave after another",
          60 + 24 * report.services.length,
          htmlTable("Waves in deploy order", ["wave", "services"], waveRows),
        )
      : htmlTable("Waves in deploy order", ["wave", "services"], waveRows),
    "<h2>Services</h2>",
    `<div class="scroll">${servicesTable(report)}</div>`,
    ...(windows.some((section) => section.html !== "")
      ? ["<h2>Rollout windows</h2>", ...windows.map((section) => section.html)]
      : []),
  ].join("\n");
  return {
    html,
    charts: [
      ...(timeline ? [timeline] : []),
      ...windows.flatMap((section) => (section.chart ? [section.chart] : [])),
    ],
  };
}

function rollbackSection(report: RollbackCommandReport): string {
  return htmlTable(
    `Rollback in ${report.target}`,
    ["service", "from", "to", "outcome", "health", "note"],
    [
      [
        report.service,
        shortVersion(report.fromVersion),
        shortVersion(report.rollback.toVersion),
        statusCell(report.rollback.outcome),
        report.rollback.health
          ? report.rollback.health.ok
            ? "✓ ok"
            : `✗ ${report.rollback.health.failure ?? "failed"}`
          : "-",
        report.rollback.note,
      ],
    ],
    ' class="services"',
  );
}

function releaseSections(report: ReleaseReport): { html: string; charts: ChartSpec[] } {
  const stages = report.stages.map((stage, index) => {
    const section = deploySection(stage.deploy, `stage${index}-`);
    const validation = htmlTable(
      `${stage.deploy.target}: validation once every service was deployed`,
      ["service", "result", "health", "smoke tests", "failure"],
      stage.validation.map((check) => [
        check.service,
        statusCell(check.ok ? "passed" : "failed"),
        check.health ? (check.health.ok ? "✓ ok" : "✗ failed") : "-",
        `${check.smoke.filter((test) => test.ok).length}/${check.smoke.length} passed`,
        check.failure ?? "",
      ]),
    );
    return {
      html: [
        `<h2>Stage: ${escapeHtml(stage.deploy.target)}</h2>`,
        section.html,
        `<div class="scroll">${validation}</div>`,
      ].join("\n"),
      charts: section.charts,
    };
  });
  return {
    html: stages.map((stage) => stage.html).join("\n"),
    charts: stages.flatMap((stage) => stage.charts),
  };
}

function titleOf(report: AnyDeployReport): string {
  switch (report.kind) {
    case "deploy":
      return `pipeline deploy → ${report.target}`;
    case "rollback":
      return `pipeline rollback ${report.service} in ${report.target}`;
    case "release":
      return "pipeline release";
  }
}

/** The `deploy`, `release` or `rollback` report: waves, versions, checks and rollout windows. */
export function renderDeployHtml(report: AnyDeployReport, options: HtmlOptions = {}): string {
  const state = report.ok ? "passed" : "failed";
  const interrupted = report.interrupted
    ? `<p class="verdict failed">Interrupted by ${escapeHtml(report.interrupted.by)} during ${escapeHtml(report.interrupted.during)}</p>`
    : "";
  const section =
    report.kind === "deploy"
      ? deploySection(report, "")
      : report.kind === "release"
        ? releaseSections(report)
        : { html: `<div class="scroll">${rollbackSection(report)}</div>`, charts: [] };
  const title = titleOf(report);
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    interrupted,
    `<p class="verdict ${state}" id="verdict" data-state="${state}">${report.ok ? "✓ OK" : "✗ FAILED"} in ${escapeHtml(formatDuration(report.durationMs))}</p>`,
    section.html,
  ].join("\n");
  return renderPage({
    title: `${title}: ${report.ok ? "ok" : "failed"}`,
    body,
    charts: section.charts,
    ...options,
  });
}
