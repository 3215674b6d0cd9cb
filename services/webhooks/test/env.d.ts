import type { SharedDatabaseEnv } from "@workers/testing/test-env";
import type * as Worker from "../src/index";
import type { SECRETS } from "./secrets";

type Secrets = { [Name in keyof typeof SECRETS]: string };

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof Worker;
    }
    interface Env extends Worker.Env, SharedDatabaseEnv, Secrets {}
  }
}
