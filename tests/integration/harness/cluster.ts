import { Miniflare } from "miniflare";
import { applyMigrations } from "./d1-migrations.js";
import { withQueueFaults } from "./queue-faults.js";
import { toWorkerOptions } from "./worker-options.js";
import type { WorkerSpec } from "./worker-spec.js";

export interface ClusterOptions {
  /** Route queue sends through the queue-faults worker, so a test can make them fail. */
  queueFaults?: boolean;
}

/**
 * All workers in one workerd process, wired to each other as their wrangler configs say, with
 * migrated D1 databases. In-memory storage: every cluster starts empty.
 */
export async function startCluster(
  specs: WorkerSpec[],
  options: ClusterOptions = {},
): Promise<Miniflare> {
  assertBindingsResolve(specs);
  const workers = specs.map(toWorkerOptions);
  const mf = new Miniflare({
    // Offline machines: do not fetch the Request.cf object from Cloudflare.
    cf: false,
    workers: options.queueFaults ? withQueueFaults(workers) : workers,
  });
  try {
    await mf.ready;
    for (const spec of specs) await applyMigrations(mf, spec.name, spec.databases);
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  return mf;
}

// workerd's own message for a dangling binding names internal service ids; name the config instead.
function assertBindingsResolve(specs: WorkerSpec[]): void {
  const names = specs.map((spec) => spec.name);
  if (names.length === 0)
    throw new Error("no workers to start: no services/*/wrangler.jsonc found");
  for (const spec of specs) {
    for (const { binding, service } of spec.config.services) {
      if (!names.includes(service)) {
        throw new Error(
          `${spec.name}: service binding ${binding} points at "${service}", which no services/*/wrangler.jsonc defines (defined: ${names.join(", ")})`,
        );
      }
    }
  }
}
