import type { DeployTarget, ServiceInfo } from "../services/catalog.js";
import type { SmokeTest } from "./smoke-tests.js";

/** What a deploy will do, fixed before anything changes (and all that `--dry-run` shows). */
export interface DeployPlan {
  target: DeployTarget;
  /** Chosen services grouped so each deploys after everything it binds to. */
  waves: ServiceInfo[][];
  /** Smoke tests per service name (empty when the service declares none). */
  smokeTests: Record<string, SmokeTest[]>;
  /** Why these services were chosen (e.g. "all", "--service gateway", "affected since main"). */
  selection: string;
}
