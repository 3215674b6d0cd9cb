import { rm } from "node:fs/promises";
import { join } from "node:path";
import { readJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";

/** `<stateDir>/state.json`: how other processes find a running control plane. */
export const runningStateSchema = z.object({
  pid: z.number().int(),
  /** The process's start time (see process-identity.ts); absent where it cannot be read. */
  startTime: z.string().optional(),
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

/** Versions, deployments and D1 data live here, apart from the running instance's state.json. */
export function dataDirOf(stateDir: string): string {
  return join(stateDir, "data");
}

export async function readRunningState(stateDir: string): Promise<RunningState | undefined> {
  return readJsonFile(
    stateFilePath(stateDir),
    runningStateSchema,
    // The file only says where a running instance listens; the deployed Workers are in data/.
    `restore it from ${stateFileName}.bak, or stop any control plane process still running and remove it`,
  );
}

export async function writeRunningState(stateDir: string, state: RunningState): Promise<void> {
  await writeJsonFile(stateFilePath(stateDir), state, runningStateSchema);
}

/** Removes state.json only if it still describes `pid` (a newer instance may own it). */
export async function clearRunningState(stateDir: string, pid: number): Promise<void> {
  const current = await readRunningState(stateDir);
  if (current?.pid === pid) await rm(stateFilePath(stateDir), { force: true });
}
