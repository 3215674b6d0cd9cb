import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { RunResult } from "../../dagger/src/core/scheduler.js";
import type { Step } from "../../dagger/src/core/steps.js";

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
  /** Why an existing file was not used (it stays to be replaced by the next save). */
  ignored?: string;
}

/** A missing or unreadable history only costs the scheduling hint, so it never fails a run. */
export async function loadStepDurations(
  repoRoot: string,
  steps: readonly Step[],
): Promise<StepDurationHistory> {
  const history = await readHistory(join(repoRoot, STEP_DURATIONS_FILE));
  if ("ignored" in history) {
    return { expectedDurations: {}, ignored: history.ignored };
  }
  const expectedDurations: Record<string, number> = {};
  for (const step of steps) {
    const entry = history.entries[step.id];
    if (entry && isDeepStrictEqual(entry.command, step.command)) {
      expectedDurations[step.id] = entry.durationMs;
    }
  }
  return { expectedDurations };
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
  const previous = await readHistory(path);
  const entries: History = "entries" in previous ? { ...previous.entries } : {};
  for (const result of run.steps) {
    const command = steps.find((step) => step.id === result.id)?.command;
    if (result.status === "passed" && command) {
      entries[result.id] = { command, durationMs: Math.round(result.durationMs) };
    }
  }
  await mkdir(dirname(path), { recursive: true });
  // Written aside then renamed: a concurrent run reads the old file or the new one, never half.
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(entries, null, 2)}\n`);
  await rename(temporary, path);
}

async function readHistory(path: string): Promise<{ entries: History } | { ignored: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return { entries: {} };
    }
    return { ignored: `${STEP_DURATIONS_FILE} is unreadable (${String(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ignored: `${STEP_DURATIONS_FILE} is not valid JSON` };
  }
  const parsed = historySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ignored: `${STEP_DURATIONS_FILE}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}; expected {"<step id>": {"command": [...], "durationMs": <ms>}}`,
    };
  }
  return { entries: parsed.data };
}
