import type { DeployTarget } from "../services/catalog.js";
import type { DeployJournal } from "./deploy-journal.js";
import type { HealthPolicy } from "./health.js";
import type { Clock, EndpointResolver, HttpClient, ProgressSink, WorkerDeployer } from "./ports.js";
import type { GradualPolicy } from "./rollout-policy.js";
import type { RolloutTelemetry } from "./telemetry-query.js";
import type { UnfinishedRollbacks } from "./unfinished-rollbacks.js";

/** Everything a deploy, rollback or release needs from the engine running it. */
export interface DeployContext {
  target: DeployTarget;
  deployer: WorkerDeployer;
  http: HttpClient;
  endpoints: EndpointResolver;
  clock: Clock;
  health: HealthPolicy;
  progress: ProgressSink;
  /**
   * Aborted, with a reason naming what (e.g. "SIGTERM"), when the run must stop: it starts no
   * further deploy, lets calls in flight end, rolls back what it changed and reports the
   * interruption first. Absent where the engine passes no cancellation on.
   */
  interrupt?: AbortSignal;
  /**
   * Set for `--strategy gradual`: each service with a version to compare against goes out in
   * steps judged by the Workers Observability telemetry `metrics` reads. Absent, every service
   * is deployed at once (`wrangler deploy`).
   */
  gradual?: { policy: GradualPolicy; metrics: RolloutTelemetry };
  /** Kept current for a runner that may have to end before the run does (see the class). */
  unfinished?: UnfinishedRollbacks;
  /** Where a deploy records its plan and steps, for `recover` after a crash (deploy-journal.ts). */
  journal?: DeployJournal;
}
