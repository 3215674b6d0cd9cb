import type { D1Migration } from "cloudflare:test";

/** The bindings sharedDatabase gives a service's tests (each service's test/env.d.ts has them too). */
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_DB: D1Database;
    }
  }
}
