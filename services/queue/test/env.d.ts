import type { SharedDatabaseEnv } from "@workers/testing/test-env";
import type * as Worker from "../src/index";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof Worker;
    }
    interface Env extends Worker.Env, SharedDatabaseEnv {
      /** A consumer of jobs-dlq that lists what was dead-lettered. */
      DEAD_LETTERS: Fetcher;
    }
  }
}
