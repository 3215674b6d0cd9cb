import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { bundlePath } from "./build-workers.ts";

/** What services/db/wrangler.jsonc declares, for its bundle running outside wrangler. */
const DB_COMPATIBILITY = {
  compatibilityDate: "2026-07-30",
  compatibilityFlags: ["nodejs_compat"],
};

/**
 * The real db Worker beside a service's tests, on one D1 database the tests share with it:
 * `setupFile` (for vitest's `setupFiles`) applies db's migrations (TEST_MIGRATIONS) to it, and
 * tests read or age rows through TEST_DB.
 * `databaseId` keeps each service's database apart. "db" must be among the Workers the service's
 * globalSetup bundles (buildWorkers).
 */
export async function sharedDatabase(serviceDir: string, databaseId: string) {
  return {
    bindings: { TEST_MIGRATIONS: await readD1Migrations(join(serviceDir, "../db/migrations")) },
    d1Databases: { TEST_DB: databaseId },
    setupFile: join(dirname(fileURLToPath(import.meta.url)), "../setup/apply-test-migrations.ts"),
    dbWorker: {
      name: "db",
      modules: true,
      scriptPath: bundlePath(serviceDir, "db"),
      d1Databases: { DB: databaseId },
      ...DB_COMPATIBILITY,
    },
  };
}
