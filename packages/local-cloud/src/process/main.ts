// Entry point of the detached control-plane process (started by `ensureLocalCloud`):
//   node --import tsx packages/local-cloud/src/process/main.ts --state-dir <dir> [--port <n>] [--split-seed <n>]
// It serves until SIGTERM/SIGINT, then stops workerd and removes its state.json.
// POST /__local-cloud/restart restarts it in place (see restart below). With --owner-pid it
// also stops when that process is gone.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isProcessRunning, processStartTime } from "@workers/host-state";
import { FaultInjector } from "../api/faults.js";
import { startLocalCloudServer, statusPath } from "../api/server.js";
import { clearRunningState, dataDirOf, writeRunningState } from "./state-file.js";

const { values } = parseArgs({
  options: {
    "state-dir": { type: "string" },
    port: { type: "string", default: "0" },
    "split-seed": { type: "string" },
    "owner-pid": { type: "string" },
    "owner-start-time": { type: "string" },
  },
});
const stateDir = values["state-dir"];
if (!stateDir) {
  console.error("main.ts needs --state-dir <dir>");
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer between 0 and 65535, got ${values.port}`);
  process.exit(2);
}

const splitSeed = values["split-seed"] === undefined ? undefined : Number(values["split-seed"]);
if (splitSeed !== undefined && !(Number.isInteger(splitSeed) && splitSeed >= 0)) {
  console.error(`--split-seed must be a non-negative integer, got ${values["split-seed"]}`);
  process.exit(2);
}

/** How soon an instance notices its owner is gone. */
const OWNER_POLL_MS = 1_000;

const dataDir = dataDirOf(stateDir);
// One injector across restarts: a test that asked for faults keeps them through a restart.
const faults = new FaultInjector();
const start = (onPort: number) =>
  startLocalCloudServer({
    dataDir,
    port: onPort,
    faults,
    onRestart: () => void restart(),
    ...(splitSeed !== undefined && { splitSeed }),
  });
let server = await start(port);

/**
 * What a crash and restart of the control plane does to a deploy, without losing this process
 * (state.json keeps naming it): connections drop, workerd stops, and everything is read back
 * from disk, on the same port.
 */
async function restart(): Promise<void> {
  const samePort = server.port;
  await server.close();
  server = await start(samePort);
  console.log(`local control plane restarted on ${server.apiBaseUrl}`);
}
const startTime = processStartTime(process.pid);
await writeRunningState(stateDir, {
  pid: process.pid,
  ...(startTime !== undefined && { startTime }),
  port: server.port,
  apiBaseUrl: server.apiBaseUrl,
  statusUrl: `http://127.0.0.1:${server.port}${statusPath}`,
  accountId: server.accountId,
  startedAt: new Date().toISOString(),
  dataDir,
  logFile: join(stateDir, "server.log"),
});
console.log(`local control plane listening on ${server.apiBaseUrl} (pid ${process.pid})`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  await clearRunningState(stateDir as string, process.pid);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown());
// An owner (the test that started this instance) ending, however it ended, ends this too.
const ownerPid = values["owner-pid"] === undefined ? undefined : Number(values["owner-pid"]);
if (ownerPid !== undefined && Number.isInteger(ownerPid)) {
  const ownerStartTime = values["owner-start-time"];
  setInterval(() => {
    if (!isProcessRunning(ownerPid, ownerStartTime)) void shutdown();
  }, OWNER_POLL_MS).unref();
}
process.on("SIGINT", () => void shutdown());
