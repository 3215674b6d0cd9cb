import type { SharedDatabaseEnv } from "@workers/testing/test-env";
import type * as Worker from "../src/index";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof Worker;
    }
    interface Env extends Worker.Env, SharedDatabaseEnv {
      /** The stand-in email provider, to read back the requests it received. */
      PROVIDER: Fetcher;
    }
  }
}
