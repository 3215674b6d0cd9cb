import { appendFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type AnyDeployReport, renderJson, renderMarkdown, renderTerminal } from "#core";
import type { CommandContext } from "../command.js";
import type { LiveRun } from "../host/live-run.js";
import { reportExitCode } from "./interrupts.js";

export interface ReportFiles {
  json?: string | undefined;
  summary?: string | undefined;
}

/**
 * The report on stdout, as JSON and Markdown files when asked, and in the GitHub job summary;
 * the HTML report in `.pipeline/runs/` (its path in the JSON as `htmlReport`, and on the last
 * line of stdout). Returns the exit code: 0, 1, or 130/143 for a run SIGINT/SIGTERM interrupted.
 */
export async function writeReport(
  report: AnyDeployReport,
  files: ReportFiles,
  context: CommandContext,
  live: LiveRun,
): Promise<number> {
  context.stdout(renderTerminal(report));
  const htmlReport = await live.finish(report);
  if (files.json) {
    await writeFile(
      resolve(context.cwd, files.json),
      htmlReport ? `${JSON.stringify({ ...report, htmlReport }, null, 2)}\n` : renderJson(report),
    );
  }
  if (files.summary) {
    await writeFile(resolve(context.cwd, files.summary), renderMarkdown(report));
  }
  if (context.env.GITHUB_STEP_SUMMARY) {
    await appendFile(context.env.GITHUB_STEP_SUMMARY, renderMarkdown(report));
  }
  if (htmlReport) {
    context.stdout(`HTML report: ${htmlReport}`);
  }
  return reportExitCode(report);
}
