import { workerName } from "../services/deploy-targets.js";
import { rateOf } from "./canary-analysis.js";
import type { DeployPlan } from "./deploy-plan.js";
import { formatSeconds } from "./health.js";
import {
  type AnyDeployReport,
  type DeployReport,
  failedRollbacks,
  type RollbackOutcome,
  type RollbackReport,
  type ServiceReport,
} from "./report.js";
import type { GradualPolicy, Rollout } from "./rollout-policy.js";
import type { VersionTraffic } from "./telemetry-query.js";

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

/**
 * The loud lines, in this order: the interruption, if any (always the first line of a
 * report); then one per rollback that did not finish, with the command that finishes it; then
 * one per deploy stopped mid-flight, which may still go live.
 */
export function alarms(report: AnyDeployReport): string[] {
  const interruption = interruptionLine(report);
  return [
    ...(interruption === undefined ? [] : [interruption]),
    ...failedRollbacks(report).map(
      ({ service, target, rollback }) =>
        `ROLLBACK FAILED: ${service} (${target}) is NOT back on ${rollback.toVersion}: ${rollback.failure ?? rollback.note}. Finish it by hand: ${rollback.manualCommand ?? "(no command known)"}`,
    ),
    ...deployReports(report).flatMap((deploy) =>
      deploy.services.flatMap(({ service, stoppedDeploy }) =>
        stoppedDeploy
          ? [
              `CHECK ${service} (${deploy.target}): its wrangler deploy was stopped mid-flight and may still go live; if it does, roll it back by hand: ${stoppedDeploy.manualCommand ?? "(first deploy: no earlier version)"}`,
            ]
          : [],
      ),
    ),
  ];
}

function deployReports(report: AnyDeployReport): DeployReport[] {
  switch (report.kind) {
    case "deploy":
      return [report];
    case "rollback":
      return [];
    case "release":
      return report.stages.map((stage) => stage.deploy);
  }
}

/** What an interruption left behind, in one line: what was rolled back and what was not. */
function interruptionLine(report: AnyDeployReport): string | undefined {
  const { interrupted } = report;
  if (interrupted === undefined) return undefined;
  const head = `INTERRUPTED by ${interrupted.by} during ${interrupted.during}`;
  if (report.kind === "rollback") {
    return `${head}: the rollback went on to its end; ${report.rollback.note}`;
  }
  const services = deployReports(report).flatMap((deploy) => deploy.services);
  const changed = services.filter((service) => service.newVersion !== undefined);
  const count = (outcome: RollbackOutcome) =>
    changed.filter((service) => service.rollback?.outcome === outcome).length;
  const failed = count("failed");
  const firstDeploys = count("nothing-to-roll-back");
  const stopped = services.filter((service) => service.stoppedDeploy).length;
  const what = report.kind === "release" ? "this release" : "this run";
  const outcome =
    changed.length === 0
      ? `no deploy was started after it and nothing ${what} deployed went live`
      : `no deploy was started after it; ${count("rolled-back")} of ${changed.length} service(s) ${what} deployed rolled back${failed ? `, ${failed} rollback(s) FAILED` : ""}${firstDeploys ? `, ${firstDeploys} first deploy(s) left in place` : ""}`;
  return `${head}: ${outcome}${stopped ? `; ${stopped} deploy(s) stopped mid-flight, see CHECK` : ""}`;
}

/** The waves, and how traffic would move when the rollout is given (deploy's dry run). */
export function renderPlan(plan: DeployPlan, rollout?: Rollout): string {
  const lines = [`deploy plan for ${plan.target} (${plan.selection}), dry run: nothing changes`];
  if (rollout) {
    lines.push(
      `  ${rollout.strategy === "gradual" ? policyLine(rollout.policy) : "immediate: each service's new version takes all traffic at once"}`,
    );
  }
  for (const [index, wave] of plan.waves.entries()) {
    const services = wave.map((service) => {
      const smoke = plan.smokeTests[service.name]?.length ?? 0;
      return `${service.name} → ${workerName(service, plan.target)} (${smoke} smoke test${smoke === 1 ? "" : "s"})`;
    });
    lines.push(`  wave ${index + 1}: ${services.join("; ")}`);
  }
  return lines.join("\n");
}

export function renderTerminal(report: AnyDeployReport): string {
  const lines = alarms(report).map((alarm) => `!!! ${alarm}`);
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
  const lines = alarms(report).map((alarm) => `> [!CAUTION]\n> **${alarm}**\n`);
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
      : `; ${rolledBack ? "rollback finished" : "nothing to roll back"} ${formatSeconds(report.recoveryMs)} after the ${report.interrupted && !report.services.some((service) => service.outcome === "failed") ? "interruption" : "failure"}`;
  const status = report.ok ? "OK" : report.interrupted ? "INTERRUPTED" : "FAILED";
  const headline = `deploy to ${report.target}: ${status} in ${formatSeconds(report.durationMs)}${recovery}`;
  const rows = report.services.map(serviceRow);
  const problems = report.services.flatMap((service) => problemLines(service, report.ok));
  const policy = report.gradual ? [policyLine(report.gradual)] : [];
  const rollouts = report.services.flatMap((service) => rolloutLines(service, markdown));
  if (report.incident) {
    problems.push(
      `incident issue (filed by the deploy workflow's incident job in GitHub Actions; not filed from here): ${report.incident.title}`,
    );
  }
  if (markdown) {
    return [
      `### ${report.ok ? "✅" : "❌"} ${headline}`,
      "",
      ...policy.flatMap((line) => [line, ""]),
      `| ${COLUMNS.join(" | ")} |`,
      `| ${COLUMNS.map(() => "---").join(" | ")} |`,
      ...rows.map((row) => `| ${row.join(" | ")} |`),
      ...rollouts,
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
    ...policy.map((line) => `  ${line}`),
    `  ${pad(COLUMNS)}`,
    ...rows.map((row) => `  ${pad(row)}`),
    ...rollouts,
    ...problems.map((line) => `  ${line}`),
  ];
}

function policyLine(policy: GradualPolicy): string {
  return `gradual: ${policy.steps.map((step) => `${step}%`).join(" → ")}, ${formatSeconds(policy.windowMs)} windows polled every ${formatSeconds(policy.pollMs)}; a window fails on 5xx above ${percent(policy.maxErrorRate)}, 5xx or 4xx significantly above the old version's (95%), or p95 above ${policy.maxLatencyRatio}× the old version's (at least ${policy.latencyFloorMs} ms); passing needs ${policy.minSample} requests per version (waiting up to ${formatSeconds(policy.maxWaitMs)} more); ${policy.bakeMs > 0 ? `bake ${formatSeconds(policy.bakeMs)} after 100%` : "no bake"}${policy.probesPerSecond > 0 ? `; probes ${policy.probesPerSecond}/s per version` : ""}`;
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function windowCell(traffic: VersionTraffic): string {
  const share = (count: number) => {
    const rate = rateOf(count, traffic.requests);
    return rate === undefined ? "-" : percent(rate);
  };
  const p95 = traffic.p95Ms === undefined ? "-" : `${traffic.p95Ms.toFixed(1)} ms`;
  return `${Math.round(traffic.requests)} req, 5xx ${share(traffic.serverErrors)}, 4xx ${share(traffic.clientErrors)}, ${Math.round(traffic.exceptions)} exc, p95 ${p95}`;
}

/** Sampling, stop-early and waiting: what a reader needs to trust a window's numbers. */
function watchNote(step: NonNullable<ServiceReport["steps"]>[number]): string {
  const { watch, probes } = step;
  if (!watch) return "";
  const notes = [
    watch.stoppedEarly ? `stopped early after ${formatSeconds(watch.elapsedMs)}` : "",
    watch.waitedMs > 0 ? `waited ${formatSeconds(watch.waitedMs)} for traffic` : "",
    watch.sampleInterval > 1
      ? `sampled: 1 in ${watch.sampleInterval.toFixed(1)} requests kept, counts estimated`
      : "unsampled",
    ...(probes ?? []).map(
      (probe) =>
        `probes to ${probe.versionId}: ${probe.requests} (${probe.serverErrors} 5xx, ${probe.clientErrors} 4xx, ${probe.failed} failed)`,
    ),
  ].filter(Boolean);
  return ` [${notes.join("; ")}]`;
}

/** After the steps: the bake, the crons, users' error exposure and the incident. */
function afterRolloutLines(report: ServiceReport): string[] {
  const lines: string[] = [];
  const { bake, exposure } = report;
  if (bake) {
    lines.push(
      `bake ${formatSeconds(bake.elapsedMs)} vs the old version before the deploy: ${bake.verdict.toUpperCase()}: ${bake.analysis.reason} (baseline ${windowCell(bake.analysis.old)}; new ${windowCell(bake.analysis.new)})`,
    );
    if (bake.scheduled) {
      lines.push(
        `scheduled tasks ${bake.scheduled.outcome.toUpperCase()}${bake.scheduled.fired ? " (fired by the pipeline)" : ""}: ${bake.scheduled.note}`,
      );
    }
  }
  if (exposure) {
    lines.push(
      `users' error exposure: ${Math.round(exposure.newVersionErrors)} errors from the new version in ${Math.round(exposure.requests)} requests (${exposure.rate === undefined ? "no traffic" : percent(exposure.rate)}; and ${Math.round(exposure.newVersionClientErrors)} 4xx)${exposure.sampleInterval > 1 ? `, estimated from 1 in ${exposure.sampleInterval.toFixed(1)} sampled` : ""}`,
    );
  }
  return lines;
}

/** Each traffic step of a gradual service: its window's numbers for both versions and verdict. */
function rolloutLines(report: ServiceReport, markdown: boolean): string[] {
  if (!report.steps?.length) return [];
  const rows = report.steps.map((step) => {
    const { analysis } = step;
    const verdict = analysis
      ? `${analysis.verdict.toUpperCase()}: ${analysis.reason}`
      : step.interrupted
        ? `INTERRUPTED ${step.interrupted}`
        : step.percentage === 0
          ? "health and smoke tests by version override"
          : step.percentage === 100
            ? "all traffic"
            : "no window";
    return [
      `${step.percentage}%`,
      analysis ? windowCell(analysis.old) : "-",
      analysis ? windowCell(analysis.new) : "-",
      `${verdict}${watchNote(step)}`,
    ];
  });
  if (markdown) {
    return [
      "",
      `**${report.service}** rollout \`${report.previousVersion ?? "(none)"}\` (old) → \`${report.newVersion ?? "(none)"}\` (new):`,
      "",
      "| step | old | new | verdict |",
      "| --- | --- | --- | --- |",
      ...rows.map((row) => `| ${row.join(" | ")} |`),
      ...afterRolloutLines(report).flatMap((line) => ["", line]),
    ];
  }
  const widths = [0, 1, 2].map((index) => Math.max(...rows.map((row) => row[index]?.length ?? 0)));
  return [
    `  ${report.service} rollout (old ${report.previousVersion ?? "(none)"} → new ${report.newVersion ?? "(none)"}):`,
    ...rows.map(
      (row) =>
        `    ${row.map((cell, index) => (index < 3 ? cell.padEnd(widths[index] ?? 0) : cell)).join("  ")}`,
    ),
    ...afterRolloutLines(report).map((line) => `    ${line}`),
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

/**
 * What went wrong with one service. When the run did not succeed, also what its D1 migrations
 * did: the code is rolled back, the schema is not.
 */
function problemLines(report: ServiceReport, runOk: boolean): string[] {
  const lines: string[] = [];
  if (report.failure && report.outcome !== "skipped") {
    lines.push(`✗ ${report.service}: ${report.failure}`);
  }
  if (report.rollback && report.rollback.outcome !== "rolled-back") {
    lines.push(`↩ ${report.service}: ${report.rollback.note}`);
  }
  for (const { database, applied, failed } of runOk ? [] : (report.migrations ?? [])) {
    if (applied.length === 0 && failed === undefined) continue;
    const kept = applied.length
      ? `keeps ${applied.join(", ")}, applied by this run`
      : "has no migration applied by this run";
    lines.push(
      `⚠ ${report.service}: D1 ${database} ${kept}${failed ? ` (${failed} failed)` : ""}; D1 is not rolled back`,
    );
  }
  return lines;
}
