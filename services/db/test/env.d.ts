import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/index";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** A database without migrations, to see /health fail its real query. */
      UNMIGRATED_DB: D1Database;
      /** A database migrated in two steps, to check a migration against existing rows. */
      UPGRADED_DB: D1Database;
    }
  }
}
