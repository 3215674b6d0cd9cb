// The local Workers control plane's public entry: what the pipeline, tests and benchmarks use.
// What it does and how is in this package's README.md.

export { FaultInjector, type FaultRule, faultsPath } from "./api/faults.js";
export {
  type LocalCloudServer,
  localAccountId,
  restartPath,
  startLocalCloudServer,
  type WorkerStatus,
} from "./api/server.js";
export {
  ensureLocalCloud,
  type LocalCloudHandle,
  type LocalCloudOptions,
  type LocalCloudStatus,
  localApiToken,
  localCloudStatus,
  stopLocalCloud,
  type WorkerHealth,
} from "./process/lifecycle.js";
export { readRunningState, writeRunningState } from "./process/state-file.js";
export { type IsolatedLocalCloud, startIsolatedLocalCloud } from "./process/testing.js";
export { CloudStore } from "./storage/store.js";
