import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import {
  formatStepFinished,
  formatStepStarted,
  type RunResult,
  renderFailures,
  renderMarkdownSummary,
  renderSummaryTable,
  runSteps,
  type Step,
  toJsonReport,
} from "#core";
import { type CommandContext, parseConcurrency } from "./command.js";
import type { Flags } from "./command-spec.js";
import type { RUN_OPTIONS } from "./commands/options.js";
import { FileHashes } from "./host/file-hashes.js";
import { RunProcesses } from "./host/run-processes.js";
import { hostStepExecutor } from "./host/sandboxed-executor.js";
import { checkoutCache } from "./host/step-cache.js";
import { loadStepDurations, saveStepDurations } from "./host/step-durations.js";
import { StepsRunRecord } from "./host/steps-run-record.js";

/** Flags shared by every command that runs part of the step graph. */
export type RunFlags = Flags<typeof RUN_OPTIONS>;

/**
 * Runs `steps` on the host with live lines, then prints and writes the reports. Step durations
 * of earlier runs let the scheduler start the longest chain first; this run's are saved for the
 * next one. One step more than there are cores by default, as `make -j` is usually run: the deploy
 * and integration suites spend part of their time waiting on wrangler, workerd and analysis
 * windows, and the extra step fills those gaps with the same CPU time (docs/benchmarks.md).
 */
export async function runStepsCommand(
  title: string,
  steps: Step[],
  repoRoot: string,
  flags: RunFlags,
  context: CommandContext,
): Promise<number> {
  const concurrency = parseConcurrency(flags.concurrency) ?? availableParallelism() + 1;
  const partialLines = new Map<string, string>();
  const history = await loadStepDurations(repoRoot, steps);
  if (history.note) {
    context.stderr(`[pipeline] ${history.note}`);
  }
  const record = await StepsRunRecord.start(repoRoot, title, steps, context);
  const sandbox = !flags["no-sandbox"];
  // Without the sandbox an undeclared read could make a hit false: no cache either.
  const cache =
    sandbox && !flags["no-cache"]
      ? { steps: checkoutCache(repoRoot, context.env), hashes: await FileHashes.load(repoRoot) }
      : undefined;
  const warn = (line: string) => context.stderr(`[pipeline] ${line}`);
  const run = await RunProcesses.around(title, context, (groups) =>
    runSteps(
      steps,
      hostStepExecutor(repoRoot, {
        sandbox,
        ...(cache ? { cache } : {}),
        warn,
        env: context.env,
        groups,
      }),
      {
        concurrency,
        keepGoing: flags["keep-going"] ?? false,
        expectedDurations: history.expectedDurations,
        onEvent: (event) => {
          record.observe(event);
          if (event.type === "start") {
            context.stdout(formatStepStarted(event.step));
          } else if (event.type === "end") {
            context.stdout(formatStepFinished(event.result));
          } else if (flags.verbose) {
            // Steps interleave: each complete line goes out prefixed with its step.
            const lines = ((partialLines.get(event.step.id) ?? "") + event.text).split("\n");
            partialLines.set(event.step.id, lines.pop() ?? "");
            for (const line of lines) {
              context.stdout(`[${event.step.id}] ${line}`);
            }
          }
        },
      },
    ),
  );
  const htmlReport = await record.finish(run, toJsonReport(run));
  await reportRun(title, run, flags, context, htmlReport);
  await cache?.hashes.save().catch((error: unknown) => {
    warn(`could not save the file hashes for the next run: ${String(error)}`);
  });
  await cache?.steps.prune().catch((error: unknown) => {
    warn(`could not prune the step cache: ${String(error)}`);
  });
  await saveStepDurations(repoRoot, steps, run).catch((error: unknown) => {
    // Only the next run's ordering depends on it: not a reason to fail this one.
    context.stderr(`[pipeline] could not save step durations: ${String(error)}`);
  });
  return run.exitCode;
}

export async function reportRun(
  title: string,
  run: RunResult,
  flags: RunFlags,
  context: CommandContext,
  htmlReport?: string,
): Promise<void> {
  const failures = renderFailures(run);
  if (failures !== "") {
    context.stderr(`\n${failures}`);
  }
  context.stdout(`\n${renderSummaryTable(run)}`);
  const markdown = renderMarkdownSummary(run, title);
  if (flags.json) {
    await writeReport(
      resolve(context.cwd, flags.json),
      `${JSON.stringify({ ...toJsonReport(run), ...(htmlReport ? { htmlReport } : {}) }, null, 2)}\n`,
    );
  }
  if (flags.summary) {
    await writeReport(resolve(context.cwd, flags.summary), markdown);
  }
  const stepSummary = context.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    await appendFile(stepSummary, markdown);
  }
  if (htmlReport) {
    context.stdout(`HTML report: ${htmlReport}`);
  }
}

async function writeReport(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}
