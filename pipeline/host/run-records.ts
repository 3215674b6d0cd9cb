import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  isProcessRunning,
  processStartTime,
  readJsonFile,
  writeJsonFile,
} from "@workers/host-state";
import * as z from "zod";
import type { StepResult } from "#core";

/**
 * Every run of a command that reports (ci and the other step commands, deploy, release,
 * rollback, dora) leaves `.pipeline/runs/<id>.json`: what ran, its state, and once finished its
 * JSON report and the path of its HTML report. A steps run rewrites its record as each step
 * starts and ends, which is what the dashboard follows live. Crash-safe writes (host-state): a
 * dashboard reading mid-write sees the previous version, never half a file.
 */
export const RUNS_DIR = ".pipeline/runs";

/** How many runs are kept: older records and their HTML reports are removed as new ones start. */
const KEPT_RUNS = 100;

export const RUN_KINDS = ["steps", "deploy", "release", "rollback", "dora"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

// The scheduler's own results, written by this process: checked for shape only so far as the
// dashboard reads them.
const stepResultSchema = z.custom<StepResult>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    typeof (value as { id?: unknown }).id === "string" &&
    typeof (value as { status?: unknown }).status === "string",
  "not a step result",
);

export const runRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(RUN_KINDS),
  title: z.string(),
  state: z.enum(["running", "passed", "failed"]),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** The process running it: a record still `running` whose owner is gone was stopped. */
  owner: z.object({ pid: z.number(), startTime: z.string().optional() }),
  /** Steps runs: each step's id, title and needs, in declaration order. */
  graph: z
    .array(z.object({ id: z.string(), title: z.string(), needs: z.array(z.string()) }))
    .optional(),
  /** Steps runs, while running: results so far and the steps under way. */
  progress: z
    .object({ finished: z.array(stepResultSchema), running: z.array(z.string()) })
    .optional(),
  /** Deploys, releases and rollbacks: the progress lines printed so far. */
  lines: z.array(z.string()).optional(),
  /** The run's JSON report, once finished. */
  report: z.unknown().optional(),
  /** Absolute path of the HTML report, once finished. */
  htmlReport: z.string().optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

const REMEDY = "delete it; it only feeds the dashboard";

export function runsDir(repoRoot: string): string {
  return join(repoRoot, RUNS_DIR);
}

/**
 * The state to show: `stopped` for a record left `running` by a process that is gone (killed,
 * crashed, or failed on bad input after the run began), so it never reads as running forever.
 */
export function shownState(record: RunRecord): RunRecord["state"] | "stopped" {
  return record.state === "running" && !isProcessRunning(record.owner.pid, record.owner.startTime)
    ? "stopped"
    : record.state;
}

/** Sortable by time, unique per process: `20261206T231501123Z-steps-4711`. */
export function newRunId(kind: RunKind, now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, "")}-${kind}-${process.pid}`;
}

export async function readRunRecord(repoRoot: string, id: string): Promise<RunRecord | undefined> {
  return readJsonFile(join(runsDir(repoRoot), `${id}.json`), runRecordSchema, REMEDY);
}

/** Every recorded run's id, newest first. */
export async function listRunIds(repoRoot: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(runsDir(repoRoot));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .filter((name) => name.endsWith(".json") && !name.startsWith("."))
    .map((name) => name.slice(0, -".json".length))
    .sort()
    .reverse();
}

/**
 * Writes one run's record. Each write is whole and fsynced (json-state-file.ts), so writes are
 * coalesced: while one is in flight, later updates only change what the next one writes, and a
 * run that replays twenty steps in a blink writes its record twice, not forty times. The
 * promise an update returns settles once a write holding that update has landed.
 */
export class RunRecorder {
  private record: RunRecord;
  private writing: Promise<void> | undefined;
  private unwritten = false;

  constructor(
    private readonly repoRoot: string,
    start: Omit<RunRecord, "state" | "updatedAt" | "owner">,
  ) {
    const owner = { pid: process.pid, startTime: processStartTime(process.pid) };
    this.record = { ...start, state: "running", updatedAt: start.startedAt, owner };
  }

  get id(): string {
    return this.record.id;
  }

  get current(): RunRecord {
    return this.record;
  }

  update(change: Partial<RunRecord>): Promise<void> {
    this.record = { ...this.record, ...change, updatedAt: new Date().toISOString() };
    this.unwritten = true;
    this.writing ??= this.writeUntilCurrent();
    return this.writing;
  }

  private async writeUntilCurrent(): Promise<void> {
    try {
      while (this.unwritten) {
        this.unwritten = false;
        const snapshot = this.record;
        await writeJsonFile(
          join(runsDir(this.repoRoot), `${snapshot.id}.json`),
          snapshot,
          runRecordSchema,
        );
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Writes the HTML report beside the record, then the finished record naming it. */
  async finish(state: "passed" | "failed", report: unknown, html: string): Promise<string> {
    const htmlReport = join(runsDir(this.repoRoot), `${this.record.id}.html`);
    await this.writing;
    await writeFile(htmlReport, html);
    // What only a running run needs: the finished report says it all.
    const { progress: _progress, lines: _lines, ...rest } = this.record;
    this.record = rest;
    await this.update({ state, report, htmlReport });
    return htmlReport;
  }
}

/** Starts a run's record, removing the oldest runs beyond what is kept. */
export async function startRunRecord(
  repoRoot: string,
  start: Omit<RunRecord, "id" | "state" | "updatedAt" | "startedAt" | "owner">,
  now = new Date(),
): Promise<RunRecorder> {
  const recorder = new RunRecorder(repoRoot, {
    ...start,
    id: newRunId(start.kind, now),
    startedAt: now.toISOString(),
  });
  await recorder.update({});
  const stale = (await listRunIds(repoRoot)).slice(KEPT_RUNS);
  await Promise.all(
    stale.flatMap((id) =>
      ["json", "json.bak", "html"].map((extension) =>
        rm(join(runsDir(repoRoot), `${id}.${extension}`), { force: true }),
      ),
    ),
  );
  return recorder;
}
