import { basename, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { backupOf, inspectJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";
import type { RunResult, Step } from "#core";

/** Repository-relative; `.pipeline/` is gitignored, so history stays on the machine it describes. */
export const STEP_DURATIONS_FILE = ".pipeline/step-durations.json";

/**
 * By step id. The command is kept because one id can run different commands (`typecheck` of
 * everything vs of the affected packages only): a duration only predicts the command it timed.
 */
const historySchema = z.record(
  z.string(),
  z.object({ command: z.array(z.string()), durationMs: z.number().nonnegative() }),
);
type History = z.infer<typeof historySchema>;

export interface StepDurationHistory {
  /** Expected milliseconds by step id, for the steps whose command ran before. */
  expectedDurations: Record<string, number>;
  /** One line on why the file was not used as it is (a good backup may have been used instead). */
  note?: string;
}

/** A missing or unreadable history only costs the scheduling hint, so it never fails a run. */
export async function loadStepDurations(
  repoRoot: string,
  steps: readonly Step[],
): Promise<StepDurationHistory> {
  const history = await readHistory(join(repoRoot, STEP_DURATIONS_FILE));
  const expectedDurations: Record<string, number> = {};
  for (const step of steps) {
    const entry = history.entries[step.id];
    if (entry && isDeepStrictEqual(entry.command, step.command)) {
      expectedDurations[step.id] = entry.durationMs;
    }
  }
  return { expectedDurations, ...(history.note !== undefined && { note: history.note }) };
}

/**
 * Records how long each passed command step took, over the earlier entries. Failed steps are
 * left out: a step that stops at its first error says little about a full run.
 */
export async function saveStepDurations(
  repoRoot: string,
  steps: readonly Step[],
  run: RunResult,
): Promise<void> {
  const path = join(repoRoot, STEP_DURATIONS_FILE);
  // A step replayed from the cache took the time to read it, not the time it takes to run: its
  // entry stays what its last real run measured, and a run that only replayed writes nothing.
  const measured = run.steps.flatMap((result) => {
    const command = steps.find((step) => step.id === result.id)?.command;
    return result.status === "passed" && !result.cached && command
      ? [[result.id, { command, durationMs: Math.round(result.durationMs) }] as const]
      : [];
  });
  if (measured.length === 0) return;
  const entries: History = {
    ...(await readHistory(path)).entries,
    ...Object.fromEntries(measured),
  };
  // A concurrent run reads the old file or the new one, never half; the old one stays as .bak.
  await writeJsonFile(path, entries, historySchema);
}

/**
 * The history, or when the file is corrupt or unreadable, its last good backup: the file is a
 * cache that the next save replaces, but the durations it held are not dropped while a good copy
 * exists.
 */
async function readHistory(path: string): Promise<{ entries: History; note?: string }> {
  let problem: string;
  try {
    const read = await inspectJsonFile(path, historySchema);
    if (read.state === "good") return { entries: read.value };
    if (read.state === "missing") return { entries: {} };
    problem = `${path} is corrupt (${read.detail})`;
  } catch (error) {
    problem = `${path} is unreadable (${String(error)})`;
  }
  const backup = await inspectJsonFile(backupOf(path), historySchema).catch(() => undefined);
  return backup?.state === "good"
    ? { entries: backup.value, note: `${problem}: scheduling with ${basename(backupOf(path))}` }
    : { entries: {}, note: `${problem}: scheduling without durations` };
}
