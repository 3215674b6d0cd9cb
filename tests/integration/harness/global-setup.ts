import type { TestProject } from "vitest/node";
import { buildServices } from "./build-bundles.js";
import { readServiceMigrations } from "./d1-migrations.js";
import { discoverServices } from "./services.js";
import type { WorkerSpec } from "./worker-spec.js";

// Builds every service once per run (or reuses its unchanged bundle); each test file then starts
// its own cluster from the bundles.
export default async function setup(project: TestProject): Promise<void> {
  const built = await buildServices(await discoverServices());
  const specs: WorkerSpec[] = await Promise.all(
    built.map(async (service) => ({
      name: service.name,
      scriptPath: service.scriptPath,
      config: service.config,
      databases: await readServiceMigrations(service),
    })),
  );
  project.provide("workerSpecs", specs);
}
