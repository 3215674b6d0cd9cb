import { type DoraReport, renderDoraHtml } from "#core";
import type { CommandContext } from "../command.js";
import { readChartLibrary } from "./chart-library.js";
import { startRunRecord } from "./run-records.js";

/**
 * Records a `dora` run in `.pipeline/runs/` with its HTML report; the report's absolute path,
 * or undefined (said once on stderr) when that failed: the metrics do not depend on it.
 */
export async function recordDoraReport(
  repoRoot: string,
  report: DoraReport,
  context: CommandContext,
): Promise<string | undefined> {
  try {
    const html = renderDoraHtml(report, { chartLibrary: await readChartLibrary() });
    const recorder = await startRunRecord(repoRoot, {
      kind: "dora",
      title: `pipeline dora --env ${report.target}`,
    });
    return await recorder.finish("passed", report, html);
  } catch (error) {
    context.stderr(`[pipeline] could not write the HTML report: ${String(error)}`);
    return undefined;
  }
}
