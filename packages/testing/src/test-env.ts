import type { D1Migration } from "cloudflare:test";

/**
 * The bindings sharedDatabase gives a service's tests. A service's test/env.d.ts adds them to its
 * own Env: `interface Env extends Worker.Env, SharedDatabaseEnv {}`.
 */
export interface SharedDatabaseEnv {
  /** db's migrations, applied by sharedDatabase's setup file before each test file. */
  TEST_MIGRATIONS: D1Migration[];
  /** The same D1 database the real db worker serves, to read or age rows directly. */
  TEST_DB: D1Database;
}
