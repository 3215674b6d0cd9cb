import { type AnyDeployReport, renderDeployHtml } from "#core";
import type { CommandContext } from "../command.js";
import { readChartLibrary } from "./chart-library.js";
import { type RunRecorder, startRunRecord } from "./run-records.js";

/**
 * A deploy, release or rollback as the dashboard follows it: its record in `.pipeline/runs/`
 * starts as the run does, collects each progress line the run prints (which wave, which
 * service, each rollout window's verdict), and ends with the report and its HTML file.
 * Recording is a side channel: when it fails, the run goes on and says so once on stderr.
 */
export class LiveRun {
  private readonly lines: string[] = [];
  private failed = false;
  /** The command's context, its stderr also recorded line by line. */
  readonly context: CommandContext;

  private constructor(
    private readonly recorder: RunRecorder | undefined,
    private readonly outer: CommandContext,
  ) {
    this.context = {
      ...outer,
      stderr: (text) => {
        outer.stderr(text);
        this.record(text);
      },
    };
  }

  static async start(
    repoRoot: string,
    kind: AnyDeployReport["kind"],
    title: string,
    context: CommandContext,
  ): Promise<LiveRun> {
    try {
      return new LiveRun(await startRunRecord(repoRoot, { kind, title, lines: [] }), context);
    } catch (error) {
      context.stderr(`[pipeline] could not record the run for the dashboard: ${String(error)}`);
      return new LiveRun(undefined, context);
    }
  }

  /** Writes the HTML report; its absolute path, or undefined when recording failed. */
  async finish(report: AnyDeployReport): Promise<string | undefined> {
    if (this.recorder === undefined || this.failed) return undefined;
    try {
      const html = renderDeployHtml(report, { chartLibrary: await readChartLibrary() });
      return await this.recorder.finish(report.ok ? "passed" : "failed", report, html);
    } catch (error) {
      this.warn(error);
      return undefined;
    }
  }

  private record(text: string): void {
    if (this.recorder === undefined || this.failed) return;
    this.lines.push(...text.split("\n"));
    this.recorder.update({ lines: [...this.lines] }).catch((error: unknown) => this.warn(error));
  }

  private warn(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    // Not recorded: the line is about the recording, not part of the run.
    this.outer.stderr(`[pipeline] could not record the run for the dashboard: ${String(error)}`);
  }
}
