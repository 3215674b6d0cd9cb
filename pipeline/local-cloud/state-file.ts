import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** `<stateDir>/state.json`: how other processes find a running control plane. */
export const runningStateSchema = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  apiBaseUrl: z.string(),
  statusUrl: z.string(),
  accountId: z.string(),
  startedAt: z.string(),
  dataDir: z.string(),
  logFile: z.string(),
});

export type RunningState = z.infer<typeof runningStateSchema>;

export const stateFileName = "state.json";

export function stateFilePath(stateDir: string): string {
  return join(stateDir, stateFileName);
}

export async function readRunningState(stateDir: string): Promise<RunningState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFilePath(stateDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = runningStateSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function writeRunningState(stateDir: string, state: RunningState): Promise<void> {
  const file = stateFilePath(stateDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** Removes state.json only if it still describes `pid` (a newer instance may own it). */
export async function clearRunningState(stateDir: string, pid: number): Promise<void> {
  const current = await readRunningState(stateDir);
  if (current?.pid === pid) await rm(stateFilePath(stateDir), { force: true });
}
