import type { DatabaseMigrations } from "./d1-migrations.js";
import type { WranglerConfig } from "./wrangler-config.js";

/** Everything needed to start one worker in the cluster; plain JSON so vitest can provide it. */
export interface WorkerSpec {
  name: string;
  scriptPath: string;
  config: WranglerConfig;
  databases: DatabaseMigrations[];
}

declare module "vitest" {
  export interface ProvidedContext {
    workerSpecs: WorkerSpec[];
  }
}
