import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type ViteUserConfig } from "vitest/config";
import { sharedDatabase } from "./shared-database.ts";
import { WORKER_COVERAGE } from "./worker-coverage.ts";

type PoolOptions = Exclude<Parameters<typeof cloudflareTest>[0], (...args: never[]) => unknown>;
type MiniflareOptions = NonNullable<PoolOptions["miniflare"]>;

export interface WorkerTestOptions {
  /** The service's folder: `new URL(".", import.meta.url).pathname` from its vitest.config.ts. */
  serviceDir: string;
  /**
   * Runs the real db Worker beside the tests on a D1 database of this id, migrated before each
   * file, its rows readable through TEST_DB (see sharedDatabase and SharedDatabaseEnv).
   */
  databaseId?: string;
  /** Sibling services bundled with wrangler first, for auxiliary workers (`bundlePath`). */
  bundles?: readonly string[];
  /** Everything beside wrangler.jsonc: test bindings, auxiliary workers. */
  miniflare?: MiniflareOptions;
  /** Run before each test file, after the shared database's migrations. */
  setupFiles?: readonly string[];
}

const BUILD_WORKERS_SETUP = join(
  dirname(fileURLToPath(import.meta.url)),
  "../setup/build-workers.ts",
);

/**
 * The vitest config of a service: its own wrangler.jsonc in workerd, the auxiliary workers it
 * binds to, and the coverage every service is judged by.
 */
export async function workerTestConfig(options: WorkerTestOptions): Promise<ViteUserConfig> {
  const { serviceDir, databaseId, miniflare = {} } = options;
  const database = databaseId ? await sharedDatabase(serviceDir, databaseId) : undefined;
  const bundles = [...new Set([...(database ? ["db"] : []), ...(options.bundles ?? [])])];
  return defineConfig({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: join(serviceDir, "wrangler.jsonc") },
        miniflare: {
          ...miniflare,
          bindings: { ...database?.bindings, ...miniflare.bindings },
          d1Databases: { ...database?.d1Databases, ...miniflare.d1Databases },
          workers: [...(database ? [database.dbWorker] : []), ...(miniflare.workers ?? [])],
        },
      }),
    ],
    test: {
      ...(bundles.length > 0 && {
        globalSetup: [BUILD_WORKERS_SETUP],
        provide: { workerBundles: bundles },
      }),
      setupFiles: [...(database ? [database.setupFile] : []), ...(options.setupFiles ?? [])],
      // The first request transforms the worker's module graph on demand; on a shared 2-core
      // machine that alone can pass vitest's 5 s default.
      testTimeout: 30_000,
      coverage: WORKER_COVERAGE,
    },
  });
}
