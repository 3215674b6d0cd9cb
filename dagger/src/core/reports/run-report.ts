import type { RunResult, StepResult } from "../scheduler.js";
import type { Step } from "../steps.js";
import { coverageRows } from "./coverage-rows.js";
import { formatDuration, markdownTable, STATUS_LABEL, textTable } from "./format.js";
import { type Reproduction, reproduceStep, reproductionLines } from "./reproduce.js";

export function formatStepStarted(step: Step): string {
  return `> ${step.id} started: ${step.title}`;
}

export function formatStepFinished(result: StepResult): string {
  const label = STATUS_LABEL[result.status];
  if (
    result.status === "skipped" ||
    result.status === "cancelled" ||
    result.status === "no-tests"
  ) {
    return `- ${result.id} ${label} (${result.reason ?? "not run"})`;
  }
  const exit = result.status === "failed" ? `, exit code ${result.exitCode}` : "";
  const cached = result.cached ? " (cached)" : "";
  return `${result.status === "passed" ? "+" : "x"} ${result.id} ${label}${cached} in ${formatDuration(result.durationMs)}${exit}`;
}

/** For each failed step: its name, exit code, the tail of its log and how to run it again. */
export function renderFailures(run: RunResult): string {
  return run.steps
    .filter((step) => step.status === "failed")
    .map((step) =>
      [
        `==== FAILED: ${step.id} (exit code ${step.exitCode}) ====`,
        step.logTail.trimEnd() || "(no output)",
        `==== end of ${step.id} ====`,
        "reproduce locally:",
        ...reproductionLines(step).map((line) => `  ${line}`),
      ].join("\n"),
    )
    .join("\n\n");
}

function stepRows(run: RunResult): string[][] {
  return run.steps.map((step) => [
    step.id,
    `${STATUS_LABEL[step.status]}${step.cached ? " (cached)" : ""}`,
    step.startedAt === undefined ? "-" : formatDuration(step.durationMs),
  ]);
}

// "steps: N passed, N failed" is the plain closing line CI log readers count tests by.
function tally(run: RunResult): string {
  const count = (status: StepResult["status"]) =>
    run.steps.filter((step) => step.status === status).length;
  const notRun = count("skipped") + count("cancelled");
  const noTests = count("no-tests");
  const cached = run.steps.filter((step) => step.cached).length;
  return `steps: ${count("passed")} passed, ${count("failed")} failed${notRun > 0 ? `, ${notRun} skipped` : ""}${noTests > 0 ? `, ${noTests} without tests` : ""}${cached > 0 ? `; ${cached} replayed from the cache` : ""}`;
}

function verdict(run: RunResult): string {
  const failed = run.steps.filter((step) => step.status === "failed").map((step) => step.id);
  return run.exitCode === 0
    ? `PASSED: ${run.steps.length} steps in ${formatDuration(run.durationMs)}`
    : `FAILED: ${failed.join(", ") || "steps did not run"} (${formatDuration(run.durationMs)})`;
}

export function renderSummaryTable(run: RunResult): string {
  const coverage = coverageRows(run);
  return [
    textTable(["step", "status", "duration"], stepRows(run)),
    ...(coverage
      ? [
          "",
          `coverage (threshold ${coverage.threshold}%):`,
          textTable(coverage.header, coverage.rows),
        ]
      : []),
    "",
    tally(run),
    verdict(run),
  ].join("\n");
}

export function renderMarkdownSummary(run: RunResult, title = "Pipeline"): string {
  const coverage = coverageRows(run);
  const failures = run.steps.filter((step) => step.status === "failed");
  return [
    `## ${title}: ${run.exitCode === 0 ? "passed" : "failed"}`,
    "",
    markdownTable(["step", "status", "duration"], stepRows(run)),
    ...(coverage
      ? [
          "",
          `### Coverage (threshold ${coverage.threshold}%)`,
          "",
          markdownTable(coverage.header, coverage.rows),
        ]
      : []),
    ...failures.flatMap((step) => [
      "",
      `### ${step.id} failed (exit code ${step.exitCode})`,
      "",
      "```",
      step.logTail.trimEnd() || "(no output)",
      "```",
      "",
      "Reproduce locally:",
      "",
      "```sh",
      ...reproductionLines(step),
      "```",
    ]),
    "",
    tally(run),
    verdict(run),
    "",
  ].join("\n");
}

export interface JsonRunReport {
  passed: boolean;
  exitCode: number;
  durationMs: number;
  concurrency: number;
  /** A failed step says how to run it again locally. */
  steps: (StepResult & { reproduce?: Reproduction })[];
}

export function toJsonReport(run: RunResult): JsonRunReport {
  return {
    passed: run.exitCode === 0,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    concurrency: run.concurrency,
    steps: run.steps.map((step) =>
      step.status === "failed" ? { ...step, reproduce: reproduceStep(step) } : step,
    ),
  };
}
