import { type AnyDeployReport, type DoraReport, renderDeployHtml, renderDoraHtml } from "#core";
import type { CommandContext } from "../command.js";
import { readChartLibrary } from "./chart-library.js";
import { startRunRecord } from "./run-records.js";

/**
 * Records a finished deploy, release, rollback or dora run in `.pipeline/runs/` with its HTML
 * report; the report's absolute path, or undefined (said once on stderr) when that failed: the
 * run's own outcome does not depend on it.
 */
export async function recordFinishedReport(
  repoRoot: string,
  report: AnyDeployReport | DoraReport,
  context: CommandContext,
): Promise<string | undefined> {
  try {
    const chartLibrary = await readChartLibrary();
    const isDora = !("kind" in report);
    const html = isDora
      ? renderDoraHtml(report, { chartLibrary })
      : renderDeployHtml(report, { chartLibrary });
    const recorder = await startRunRecord(repoRoot, {
      kind: isDora ? "dora" : report.kind,
      title: isDora ? `pipeline dora --env ${report.target}` : `pipeline ${report.kind}`,
    });
    return await recorder.finish(isDora || report.ok ? "passed" : "failed", report, html);
  } catch (error) {
    context.stderr(`[pipeline] could not write the HTML report: ${String(error)}`);
    return undefined;
  }
}
