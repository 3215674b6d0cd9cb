import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildServices } from "./build-bundles.js";
import { readServiceMigrations } from "./d1-migrations.js";
import { discoverServices } from "./services.js";
import type { WorkerSpec } from "./worker-spec.js";

// Builds every service once per run; each test file then starts its own cluster from the bundles.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outRoot = await mkdtemp(join(tmpdir(), "workers-integration-"));
  const cleanUp = () => rm(outRoot, { recursive: true, force: true });
  try {
    project.provide("workerSpecs", await prepareWorkers(outRoot));
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return cleanUp;
}

async function prepareWorkers(outRoot: string): Promise<WorkerSpec[]> {
  const built = await buildServices(await discoverServices(), outRoot);
  return Promise.all(
    built.map(async (service) => ({
      name: service.name,
      scriptPath: service.scriptPath,
      config: service.config,
      databases: await readServiceMigrations(service),
    })),
  );
}
