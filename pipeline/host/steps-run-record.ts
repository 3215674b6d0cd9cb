import {
  type RunEvent,
  type RunResult,
  renderStepsRunHtml,
  type Step,
  type StepResult,
} from "#core";
import type { CommandContext } from "../command.js";
import { readChartLibrary } from "./chart-library.js";
import { type RunRecorder, startRunRecord } from "./run-records.js";

/**
 * A steps run's record in `.pipeline/runs/`, kept current as steps start and end, and its HTML
 * report at the end. Recording is a side channel: when it fails, the run goes on and says so
 * once on stderr.
 */
export class StepsRunRecord {
  private readonly finished: StepResult[] = [];
  private readonly running = new Set<string>();
  private failed = false;

  private constructor(
    private readonly recorder: RunRecorder | undefined,
    private readonly title: string,
    private readonly context: CommandContext,
  ) {}

  static async start(
    repoRoot: string,
    title: string,
    steps: readonly Step[],
    context: CommandContext,
  ): Promise<StepsRunRecord> {
    try {
      const recorder = await startRunRecord(repoRoot, {
        kind: "steps",
        title,
        graph: steps.map((step) => ({ id: step.id, title: step.title, needs: step.needs })),
        progress: { finished: [], running: [] },
      });
      return new StepsRunRecord(recorder, title, context);
    } catch (error) {
      context.stderr(`[pipeline] could not record the run for the dashboard: ${String(error)}`);
      return new StepsRunRecord(undefined, title, context);
    }
  }

  observe(event: RunEvent): void {
    if (event.type === "output") return;
    if (event.type === "start") {
      this.running.add(event.step.id);
    } else {
      this.running.delete(event.step.id);
      this.finished.push(event.result);
    }
    this.recorder
      ?.update({ progress: { finished: [...this.finished], running: [...this.running] } })
      .catch((error: unknown) => this.warn(error));
  }

  /** Writes the HTML report; its absolute path, or undefined when recording failed. */
  async finish(run: RunResult, jsonReport: unknown): Promise<string | undefined> {
    if (this.recorder === undefined || this.failed) return undefined;
    try {
      const graph = this.recorder.current.graph ?? [];
      const html = renderStepsRunHtml(
        { title: this.title, startedAt: this.recorder.current.startedAt, graph, run },
        { chartLibrary: await readChartLibrary() },
      );
      return await this.recorder.finish(run.exitCode === 0 ? "passed" : "failed", jsonReport, html);
    } catch (error) {
      this.warn(error);
      return undefined;
    }
  }

  private warn(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.context.stderr(`[pipeline] could not record the run for the dashboard: ${String(error)}`);
  }
}
