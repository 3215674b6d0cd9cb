import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalCloud, type LocalCloudHandle, type LocalCloudOptions } from "./lifecycle.js";

export interface IsolatedLocalCloud extends LocalCloudHandle {
  /** Starts a fresh process on the same state (what a machine restart does). */
  restart(): Promise<IsolatedLocalCloud>;
  /** Stops the process and deletes its state. */
  dispose(): Promise<void>;
}

function isolate(
  repoRoot: string,
  options: LocalCloudOptions,
  handle: LocalCloudHandle,
): IsolatedLocalCloud {
  return {
    ...handle,
    async restart() {
      await handle.stop();
      return isolate(repoRoot, options, await ensureLocalCloud(repoRoot, options));
    },
    async dispose() {
      await handle.stop();
      await rm(handle.stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * A control plane of its own (temp state dir, free port), for tests and benchmarks; `splitSeed`
 * fixes how it splits gradual deployments, also after `restart()`.
 */
export async function startIsolatedLocalCloud(
  repoRoot: string,
  { splitSeed }: { splitSeed?: number } = {},
): Promise<IsolatedLocalCloud> {
  const stateDir = await mkdtemp(join(tmpdir(), "local-cloud-"));
  const options = { stateDir, port: 0, ...(splitSeed !== undefined && { splitSeed }) };
  return isolate(repoRoot, options, await ensureLocalCloud(repoRoot, options));
}
