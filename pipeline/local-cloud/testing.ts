import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle } from "./lifecycle.js";

export interface IsolatedLocalCloud extends LocalCloudHandle {
  /** Starts a fresh process on the same state (what a machine restart does). */
  restart(): Promise<IsolatedLocalCloud>;
  /** Stops the process and deletes its state. */
  dispose(): Promise<void>;
}

function isolate(repoRoot: string, handle: LocalCloudHandle): IsolatedLocalCloud {
  return {
    ...handle,
    async restart() {
      await handle.stop();
      return isolate(repoRoot, await ensureLocalCloud(repoRoot, { stateDir: handle.stateDir }));
    },
    async dispose() {
      await handle.stop();
      await rm(handle.stateDir, { recursive: true, force: true });
    },
  };
}

/** A control plane of its own (temp state dir, free port), for tests and benchmarks. */
export async function startIsolatedLocalCloud(repoRoot: string): Promise<IsolatedLocalCloud> {
  const stateDir = await mkdtemp(join(tmpdir(), "local-cloud-"));
  return isolate(repoRoot, await ensureLocalCloud(repoRoot, { stateDir, port: 0 }));
}
