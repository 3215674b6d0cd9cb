import { apiDeploymentHistory } from "./api-deployment-history.js";
import { apiRollbackDeployer } from "./api-rollback.js";
import type { CloudflareApi } from "./cloudflare-api.js";
import type { HttpClient, WorkerDeployer } from "./ports.js";
import { analyticsMetricsReader, type VersionMetricsReader } from "./version-metrics.js";
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
}

export interface CloudflareDeployStack {
  deployer: WorkerDeployer;
  /** The analytics a gradual rollout is judged by: the same account and API base as wrangler's. */
  metrics: VersionMetricsReader;
}

/**
 * The one deployer both runners use: wrangler for uploads, deploys and migrations; the API for
 * rollbacks (wrangler when the API cannot be reached) and deployment histories (wrangler when
 * the API's answer is not a list); the analytics API for version metrics.
 */
export function cloudflareDeployStack(ports: CloudflareDeployPorts): CloudflareDeployStack {
  const { http, api, notice, ...wrangler } = ports;
  return {
    deployer: apiDeploymentHistory(
      apiRollbackDeployer(wranglerWorkerDeployer(wrangler), http, api),
      http,
      api,
      notice,
    ),
    metrics: analyticsMetricsReader(http, {
      apiBaseUrl: api.baseUrl,
      apiToken: api.token,
      accountId: api.accountId,
    }),
  };
}
