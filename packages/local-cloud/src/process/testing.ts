import { appendFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCloudServer } from "../api/server.js";
import { type LocalCloudHandle, triggerScheduled, wranglerEnvFor } from "./lifecycle.js";

export interface IsolatedLocalCloud extends LocalCloudHandle {
  /** Closes the server and starts a new one on the same state (what a machine restart keeps). */
  restart(): Promise<IsolatedLocalCloud>;
  /** Stops the server and deletes its state. */
  dispose(): Promise<void>;
}

export interface IsolatedLocalCloudOptions {
  /** Fixes how gradual deployments are split, also after `restart()`. */
  splitSeed?: number;
}

/**
 * A control plane of its own (temp state dir, free port), for tests and benchmarks. It runs in
 * this process, so a test's coverage measures the control plane itself; `ensureLocalCloud`
 * starts the same server in a detached process (main.ts), which test/lifecycle.test.ts drives.
 */
export async function startIsolatedLocalCloud(
  options: IsolatedLocalCloudOptions = {},
): Promise<IsolatedLocalCloud> {
  return startIn(await mkdtemp(join(tmpdir(), "local-cloud-")), options);
}

async function startIn(
  stateDir: string,
  options: IsolatedLocalCloudOptions,
): Promise<IsolatedLocalCloud> {
  const logFile = join(stateDir, "server.log");
  const server = await startLocalCloudServer({
    dataDir: join(stateDir, "data"),
    log: (line) => appendFileSync(logFile, `${line}\n`),
    ...(options.splitSeed !== undefined && { splitSeed: options.splitSeed }),
  });
  return {
    pid: process.pid,
    apiBaseUrl: server.apiBaseUrl,
    accountId: server.accountId,
    stateDir,
    logFile,
    wranglerEnv: wranglerEnvFor(server.apiBaseUrl, server.accountId),
    workerUrl: async (name) => server.workerUrl(name),
    workers: async () => server.workers(),
    triggerScheduled: (name, cron) =>
      triggerScheduled(new URL(server.apiBaseUrl).origin, name, cron),
    stop: () => server.close(),
    async restart() {
      await server.close();
      return startIn(stateDir, options);
    },
    async dispose() {
      await server.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
