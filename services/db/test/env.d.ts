import type { SharedDatabaseEnv } from "@workers/testing/test-env";
import type * as Worker from "../src/index";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof Worker;
    }
    interface Env extends Worker.Env, Pick<SharedDatabaseEnv, "TEST_MIGRATIONS"> {
      /** A database without migrations, to see /health fail its real query. */
      UNMIGRATED_DB: D1Database;
      /** A database migrated in two steps, to check a migration against existing rows. */
      UPGRADED_DB: D1Database;
    }
  }
}
