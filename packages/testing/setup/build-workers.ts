/**
 * A vitest `globalSetup` (workerTestConfig's): bundles the Workers the config's auxiliary workers
 * run, named by the config's `provide.workerBundles`, before the pool starts them.
 */
import type { TestProject } from "vitest/node";
import { buildWorkers } from "../src/build-workers.ts";

declare module "vitest" {
  interface ProvidedContext {
    /** Sibling services to bundle with wrangler for the tested service's auxiliary workers. */
    workerBundles: string[];
  }
}

export default function setup(project: TestProject): void {
  buildWorkers(project.config.root, project.getProvidedContext().workerBundles ?? []);
}
