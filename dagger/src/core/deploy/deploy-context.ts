import type { DeployTarget } from "../services/catalog.js";
import type { HealthPolicy } from "./health.js";
import type { Clock, EndpointResolver, HttpClient, ProgressSink, WorkerDeployer } from "./ports.js";

/** Everything a deploy, rollback or release needs from the engine running it. */
export interface DeployContext {
  target: DeployTarget;
  deployer: WorkerDeployer;
  http: HttpClient;
  endpoints: EndpointResolver;
  clock: Clock;
  health: HealthPolicy;
  progress: ProgressSink;
}
