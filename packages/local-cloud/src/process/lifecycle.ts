import { spawn } from "node:child_process";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { isProcessRunning, processStartTime } from "@workers/host-state";
import type { WorkerStatus } from "../api/server.js";
import { readCloudState } from "../storage/store.js";
import { dataDirOf, type RunningState, readRunningState, stateFilePath } from "./state-file.js";

export interface LocalCloudOptions {
  /** Defaults to `<repoRoot>/.local-cloud` (gitignored); tests pass a temp dir. */
  stateDir?: string;
  /** API port when a new instance starts; 0 (default) picks a free one. */
  port?: number;
  /** How long to wait for a new instance to answer. */
  startTimeoutMs?: number;
  /**
   * Seeds how a new instance splits gradual deployments, so tests get the same split on every
   * run; an instance already running keeps its own.
   */
  splitSeed?: number;
  /**
   * A process whose end ends a new instance too (it watches for it). Default: the pid in
   * LOCAL_CLOUD_OWNER_PID, which the pipeline's test set-up sets to the test process, so a
   * control plane a test started (itself or through a `pipeline` child) does not outlive it,
   * whatever signal ends the test run. Otherwise none: `pipeline local` starts one that stays
   * for the next command.
   */
  ownerPid?: number;
}

export interface LocalCloudHandle {
  pid: number;
  apiBaseUrl: string;
  accountId: string;
  stateDir: string;
  logFile: string;
  /**
   * Environment that points wrangler at this control plane. The token is a fixed local
   * placeholder: the control plane only checks that one is sent, as the real API does.
   */
  wranglerEnv: Record<string, string>;
  /** Stable loopback URL of a deployed worker (undefined before its first deploy). */
  workerUrl(name: string): Promise<string | undefined>;
  workers(): Promise<WorkerStatus[]>;
  /** Runs a worker's `scheduled` handler once (cron triggers do not run on a clock locally). */
  triggerScheduled(name: string, cron: string): Promise<void>;
  stop(): Promise<void>;
}

export const localApiToken = "local-cloud-token";

export function defaultStateDir(repoRoot: string): string {
  return join(repoRoot, ".local-cloud");
}

/** Whether the instance state.json describes still runs: its pid, not a later holder of it. */
function isAlive(state: RunningState): boolean {
  return isProcessRunning(state.pid, state.startTime);
}

async function fetchStatus(state: RunningState): Promise<{ workers: WorkerStatus[] } | undefined> {
  try {
    const response = await fetch(state.statusUrl, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return undefined;
    return (await response.json()) as { workers: WorkerStatus[] };
  } catch {
    return undefined;
  }
}

/** The running instance recorded in stateDir, if its process is alive and answering. */
async function runningInstance(stateDir: string): Promise<RunningState | undefined> {
  const state = await readRunningState(stateDir);
  if (!state || !isAlive(state)) return undefined;
  return (await fetchStatus(state)) ? state : undefined;
}

/**
 * Environment that points wrangler at a control plane. The token is a fixed local placeholder:
 * the control plane only checks that one is sent, as the real API does.
 */
export function wranglerEnvFor(apiBaseUrl: string, accountId: string): Record<string, string> {
  return {
    CLOUDFLARE_API_BASE_URL: apiBaseUrl,
    CLOUDFLARE_ACCOUNT_ID: accountId,
    CLOUDFLARE_API_TOKEN: localApiToken,
    WRANGLER_SEND_METRICS: "false",
  };
}

/** Runs a worker's `scheduled` handler once through the control plane at `origin`. */
export async function triggerScheduled(origin: string, name: string, cron: string): Promise<void> {
  const url = `${origin}/__local-cloud/workers/${encodeURIComponent(name)}/scheduled?cron=${encodeURIComponent(cron)}`;
  const response = await fetch(url, { method: "POST" });
  const body = (await response.json()) as { success: boolean; errors: { message: string }[] };
  if (!body.success) throw new Error(`scheduled ${name} (${cron}): ${body.errors[0]?.message}`);
}

function handleFor(state: RunningState, stateDir: string): LocalCloudHandle {
  const workers = async () => (await fetchStatus(state))?.workers ?? [];
  return {
    pid: state.pid,
    apiBaseUrl: state.apiBaseUrl,
    accountId: state.accountId,
    stateDir,
    logFile: state.logFile,
    wranglerEnv: wranglerEnvFor(state.apiBaseUrl, state.accountId),
    workers,
    triggerScheduled: (name, cron) => triggerScheduled(new URL(state.statusUrl).origin, name, cron),
    async workerUrl(name) {
      return (await workers()).find((worker) => worker.name === name)?.url;
    },
    async stop() {
      await stopInstance(stateDir);
    },
  };
}

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Returns the control plane running for stateDir, starting a detached one if none answers.
 * Concurrent callers are serialised by an exclusive start lock, so only one instance starts.
 */
export async function ensureLocalCloud(
  repoRoot: string,
  options: LocalCloudOptions = {},
): Promise<LocalCloudHandle> {
  const stateDir = options.stateDir ?? defaultStateDir(repoRoot);
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  await mkdir(stateDir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const lockFile = join(stateDir, "start.lock");
  while (Date.now() < deadline) {
    const running = await runningInstance(stateDir);
    if (running) return handleFor(running, stateDir);
    let lock: Awaited<ReturnType<typeof open>> | undefined;
    try {
      lock = await open(lockFile, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // Someone else is starting it; a lock older than the start timeout was abandoned.
      const age =
        Date.now() - (await stat(lockFile).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > timeoutMs) await rm(lockFile, { force: true });
      await sleep(250);
      continue;
    }
    try {
      await lock.writeFile(String(process.pid));
      // Checked here, not only in the detached process: a corrupt cloud.json is then one line
      // in the caller instead of a stack trace at the end of server.log.
      await readCloudState(dataDirOf(stateDir));
      const state = await spawnInstance(repoRoot, stateDir, options, deadline);
      return handleFor(state, stateDir);
    } finally {
      await lock.close();
      await rm(lockFile, { force: true });
    }
  }
  throw new Error(`local control plane in ${stateDir} did not start within ${timeoutMs} ms`);
}

/** The control plane needs no Cloudflare credentials; a real token must not reach it. */
function controlPlaneEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("CLOUDFLARE_")),
  );
}

async function spawnInstance(
  repoRoot: string,
  stateDir: string,
  options: LocalCloudOptions,
  deadline: number,
): Promise<RunningState> {
  const logFile = join(stateDir, "server.log");
  const log = await open(logFile, "a");
  // Through the package name, not this file's URL: the pipeline runs this module from its bundle.
  const entry = fileURLToPath(import.meta.resolve("@workers/local-cloud/main"));
  // tsx resolves the `.js` import specifiers to the .ts sources; this Node is the repo's Node 24.
  const child = spawn(
    process.execPath,
    [
      "--import",
      import.meta.resolve("tsx"),
      entry,
      "--state-dir",
      stateDir,
      "--port",
      String(options.port ?? 0),
      ...(options.splitSeed === undefined ? [] : ["--split-seed", String(options.splitSeed)]),
      ...ownerArgs(options.ownerPid ?? ownerFromEnv()),
    ],
    { cwd: repoRoot, detached: true, stdio: ["ignore", log.fd, log.fd], env: controlPlaneEnv() },
  );
  child.unref();
  await log.close();
  let exitCode: number | null = null;
  child.once("exit", (code) => {
    exitCode = code ?? 1;
  });
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      throw new Error(
        `local control plane exited with code ${exitCode} while starting; last log lines of ${logFile}:\n${await tail(logFile)}`,
      );
    }
    const state = await readRunningState(stateDir);
    if (state && state.pid === child.pid && (await fetchStatus(state))) return state;
    await sleep(200);
  }
  if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
  throw new Error(
    `local control plane did not answer in time; see ${logFile}:\n${await tail(logFile)}`,
  );
}

/** Stops the instance recorded in stateDir (SIGTERM, then SIGKILL after 20 s). No-op if none. */
export async function stopInstance(stateDir: string): Promise<boolean> {
  const state = await readRunningState(stateDir);
  if (!state) return false;
  // A state.json left by a crash may name a pid the kernel has given to another process since.
  if (isAlive(state)) {
    process.kill(state.pid, "SIGTERM");
    for (let waited = 0; waited < 20_000 && isAlive(state); waited += 100) await sleep(100);
    if (isAlive(state)) process.kill(state.pid, "SIGKILL");
  }
  await rm(stateFilePath(stateDir), { force: true });
  return true;
}

export function stopLocalCloud(
  repoRoot: string,
  options: Pick<LocalCloudOptions, "stateDir"> = {},
) {
  return stopInstance(options.stateDir ?? defaultStateDir(repoRoot));
}

export interface WorkerHealth extends WorkerStatus {
  health: { ok: boolean; status?: number; body?: unknown; error?: string };
}

export interface LocalCloudStatus {
  running: boolean;
  pid?: number;
  apiBaseUrl?: string;
  accountId?: string;
  stateDir: string;
  workers: WorkerHealth[];
}

async function probeHealth(url: string | undefined): Promise<WorkerHealth["health"]> {
  if (!url) return { ok: false, error: "no URL" };
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text so the status shows what the worker answered.
    }
    return { ok: response.ok, status: response.status, body };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Each worker's URL, active version and `/health` answer; `running: false` when stopped. */
export async function localCloudStatus(
  repoRoot: string,
  options: Pick<LocalCloudOptions, "stateDir"> = {},
): Promise<LocalCloudStatus> {
  const stateDir = options.stateDir ?? defaultStateDir(repoRoot);
  const state = await runningInstance(stateDir);
  if (!state) return { running: false, stateDir, workers: [] };
  const workers = await handleFor(state, stateDir).workers();
  return {
    running: true,
    pid: state.pid,
    apiBaseUrl: state.apiBaseUrl,
    accountId: state.accountId,
    stateDir,
    workers: await Promise.all(
      workers.map(async (worker) => ({ ...worker, health: await probeHealth(worker.url) })),
    ),
  };
}

function ownerFromEnv(): number | undefined {
  const pid = Number(process.env.LOCAL_CLOUD_OWNER_PID);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function ownerArgs(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  const startTime = processStartTime(pid);
  return ["--owner-pid", String(pid), ...(startTime ? ["--owner-start-time", startTime] : [])];
}
