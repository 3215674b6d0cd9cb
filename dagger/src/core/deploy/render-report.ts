import type { DeployPlan } from "./deploy-plan.js";
import { formatSeconds } from "./health.js";
import {
  type AnyDeployReport,
  type DeployReport,
  failedRollbacks,
  type RollbackReport,
  type ServiceReport,
} from "./report.js";

const COLUMNS = [
  "wave",
  "service",
  "worker",
  "previous → new",
  "health",
  "smoke",
  "rollback",
  "time",
];

/** The loud lines: one per rollback that did not finish, with the command that finishes it. */
export function rollbackAlarms(report: AnyDeployReport): string[] {
  return failedRollbacks(report).map(
    ({ service, target, rollback }) =>
      `ROLLBACK FAILED: ${service} (${target}) is NOT back on ${rollback.toVersion}: ${rollback.failure ?? rollback.note}. Finish it by hand: ${rollback.manualCommand ?? "(no command known)"}`,
  );
}

export function renderPlan(plan: DeployPlan): string {
  const lines = [`deploy plan for ${plan.target} (${plan.selection}), dry run: nothing changes`];
  for (const [index, wave] of plan.waves.entries()) {
    const services = wave.map((service) => {
      const smoke = plan.smokeTests[service.name]?.length ?? 0;
      return `${service.name} → ${service.workerNames[plan.target]} (${smoke} smoke test${smoke === 1 ? "" : "s"})`;
    });
    lines.push(`  wave ${index + 1}: ${services.join("; ")}`);
  }
  return lines.join("\n");
}

export function renderTerminal(report: AnyDeployReport): string {
  const lines = rollbackAlarms(report).map((alarm) => `!!! ${alarm}`);
  switch (report.kind) {
    case "deploy":
      lines.push(...deployLines(report, false));
      break;
    case "rollback":
      lines.push(
        `rollback of ${report.service} (${report.worker}) on ${report.target}: ${report.ok ? "OK" : "FAILED"} in ${formatSeconds(report.durationMs)}`,
        `  ${report.fromVersion ?? "(none)"} → ${report.rollback.toVersion ?? "(none)"}: ${report.rollback.note}`,
      );
      break;
    case "release":
      lines.push(releaseHeadline(report));
      for (const stage of report.stages) {
        lines.push("", ...deployLines(stage.deploy, false));
        for (const result of stage.validation.filter((item) => !item.ok)) {
          lines.push(`  validation ✗ ${result.service}: ${result.failure ?? "failed"}`);
        }
      }
      break;
  }
  return lines.join("\n");
}

export function renderMarkdown(report: AnyDeployReport): string {
  const lines = rollbackAlarms(report).map((alarm) => `> [!CAUTION]\n> **${alarm}**\n`);
  switch (report.kind) {
    case "deploy":
      lines.push(...deployLines(report, true));
      break;
    case "rollback":
      lines.push(
        `## Rollback of \`${report.service}\` on ${report.target}: ${report.ok ? "✅ OK" : "❌ FAILED"}`,
        "",
        `\`${report.fromVersion ?? "(none)"}\` → \`${report.rollback.toVersion ?? "(none)"}\`: ${report.rollback.note} (${formatSeconds(report.durationMs)})`,
      );
      break;
    case "release":
      lines.push(`## ${releaseHeadline(report)}`);
      for (const stage of report.stages) {
        lines.push("", ...deployLines(stage.deploy, true));
        for (const result of stage.validation.filter((item) => !item.ok)) {
          lines.push(`- validation ❌ \`${result.service}\`: ${result.failure ?? "failed"}`);
        }
      }
      break;
  }
  return `${lines.join("\n")}\n`;
}

export function renderJson(report: AnyDeployReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function releaseHeadline(report: Extract<AnyDeployReport, { kind: "release" }>): string {
  const where = report.stages.map((stage) => stage.deploy.target).join(" → ");
  return report.ok
    ? `release OK (${where}) in ${formatSeconds(report.durationMs)}`
    : `release STOPPED: ${report.stoppedAt ?? "failed"} (${where})`;
}

function deployLines(report: DeployReport, markdown: boolean): string[] {
  const rolledBack = report.services.some((service) => service.rollback !== undefined);
  const recovery =
    report.recoveryMs === undefined
      ? ""
      : `; ${rolledBack ? "rollback finished" : "nothing to roll back"} ${formatSeconds(report.recoveryMs)} after the failure`;
  const headline = `deploy to ${report.target}: ${report.ok ? "OK" : "FAILED"} in ${formatSeconds(report.durationMs)}${recovery}`;
  const rows = report.services.map(serviceRow);
  const problems = report.services.flatMap(problemLines);
  if (markdown) {
    return [
      `### ${report.ok ? "✅" : "❌"} ${headline}`,
      "",
      `| ${COLUMNS.join(" | ")} |`,
      `| ${COLUMNS.map(() => "---").join(" | ")} |`,
      ...rows.map((row) => `| ${row.join(" | ")} |`),
      ...(problems.length ? ["", ...problems.map((line) => `- ${line}`)] : []),
    ];
  }
  const widths = COLUMNS.map((column, index) =>
    Math.max(column.length, ...rows.map((row) => row[index]?.length ?? 0)),
  );
  const pad = (row: string[]) =>
    row
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    headline,
    `  ${pad(COLUMNS)}`,
    ...rows.map((row) => `  ${pad(row)}`),
    ...problems.map((line) => `  ${line}`),
  ];
}

function serviceRow(report: ServiceReport): string[] {
  const health = report.health
    ? `${report.health.ok ? "ok" : "FAIL"} (${report.health.attempts}×)`
    : "-";
  const passed = report.smoke.filter((result) => result.ok).length;
  const smoke = report.smoke.length ? `${passed}/${report.smoke.length}` : "-";
  return [
    String(report.wave),
    report.service,
    report.worker,
    `${report.previousVersion ?? "(none)"} → ${report.newVersion ?? (report.outcome === "skipped" ? "(skipped)" : "(none)")}`,
    health,
    smoke,
    rollbackCell(report.rollback),
    formatSeconds(report.durationMs),
  ];
}

function rollbackCell(rollback: RollbackReport | undefined): string {
  switch (rollback?.outcome) {
    case undefined:
      return "-";
    case "rolled-back":
      return `rolled back to ${rollback.toVersion} (${formatSeconds(rollback.durationMs)})`;
    case "nothing-to-roll-back":
      return "first deploy: nothing to roll back";
    case "failed":
      return "ROLLBACK FAILED";
  }
}

function problemLines(report: ServiceReport): string[] {
  const lines: string[] = [];
  if (report.failure && report.outcome !== "skipped") {
    lines.push(`✗ ${report.service}: ${report.failure}`);
  }
  if (report.rollback && report.rollback.outcome !== "rolled-back") {
    lines.push(`↩ ${report.service}: ${report.rollback.note}`);
  }
  return lines;
}
