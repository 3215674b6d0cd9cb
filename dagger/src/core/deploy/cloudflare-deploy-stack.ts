import { apiDeploymentHistory } from "./api-deployment-history.js";
import { DEFAULT_RETRY_POLICY, retryingHttpClient } from "./api-retry.js";
import { apiRollbackDeployer } from "./api-rollback.js";
import type { CloudflareApi } from "./cloudflare-api.js";
import { type HttpClient, systemClock, type WorkerDeployer } from "./ports.js";
import { type RolloutTelemetry, telemetryReader } from "./telemetry-query.js";
import { type WranglerDeployerPorts, wranglerWorkerDeployer } from "./wrangler-deployer.js";

/**
 * What a runner adapts for a deploy: wrangler (run where the credentials are, never in its argv)
 * and HTTP requests to the Cloudflare API. `api` names the account and token as the `http` port's
 * requests carry them: the host puts the values there, the Dagger module placeholders that the
 * container sending the request fills in from its secret variables.
 */
export interface CloudflareDeployPorts extends WranglerDeployerPorts {
  http: HttpClient;
  api: CloudflareApi;
  /** One line where the deploy falls back from the API to wrangler, and why. */
  notice?: (line: string) => void;
  /** The local control plane, which can fire a Worker's crons on request. */
  local: boolean;
}

export interface CloudflareDeployStack {
  deployer: WorkerDeployer;
  /** The telemetry a gradual rollout is judged by: the same account and API base as wrangler's. */
  metrics: RolloutTelemetry;
}

/**
 * The one deployer both runners use: wrangler for uploads, deploys and migrations; the API for
 * rollbacks (wrangler when the API cannot be reached) and deployment histories (wrangler when
 * the API's answer is not a list); Workers Observability's telemetry for the
 * rollout's windows.
 */
export function cloudflareDeployStack(ports: CloudflareDeployPorts): CloudflareDeployStack {
  const { http: direct, api, notice, local, ...wrangler } = ports;
  // Every API request both runners send, retried on 429 (after its Retry-After), 5xx and no
  // answer where that is safe (api-retry.ts says which requests are not).
  const http = retryingHttpClient(direct, systemClock, DEFAULT_RETRY_POLICY, notice);
  return {
    deployer: apiDeploymentHistory(
      apiRollbackDeployer(wranglerWorkerDeployer(wrangler), http, api),
      http,
      api,
      notice,
    ),
    metrics: telemetryReader(http, api, { local }),
  };
}
