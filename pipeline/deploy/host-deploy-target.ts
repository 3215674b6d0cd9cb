import { checkoutOrigin } from "../../dagger/src/core/deploy/annotations.js";
import { apiDeploymentHistory } from "../../dagger/src/core/deploy/api-deployment-history.js";
import { apiRollbackDeployer } from "../../dagger/src/core/deploy/api-rollback.js";
import { cloudflareApiFromEnv } from "../../dagger/src/core/deploy/cloudflare-api.js";
import { fetchHttpClient } from "../../dagger/src/core/deploy/fetch-http-client.js";
import type { EndpointResolver, WorkerDeployer } from "../../dagger/src/core/deploy/ports.js";
import {
  analyticsMetricsReader,
  type VersionMetricsReader,
} from "../../dagger/src/core/deploy/version-metrics.js";
import { workersDevUrl } from "../../dagger/src/core/deploy/wrangler-cli.js";
import { type DeployTarget, LOCAL_TARGET } from "../../dagger/src/core/services/catalog.js";
import { workerName } from "../../dagger/src/core/services/deploy-targets.js";
import { repoCommand } from "../host/git-change-probe.js";
import type { LocalCloudHandle } from "../local-cloud/index.js";
import type { ChildGroups } from "./child-groups.js";
import { credentialsFromEnv } from "./credentials.js";
import { localSecretsFile } from "./local-secrets.js";
import { pipelineRunId } from "./run-id.js";
import { type WranglerDeployerOptions, wranglerDeployer } from "./wrangler-deployer.js";

/** What the deploy commands need from the local control plane (`--env @local`). */
export type LocalCloudEndpoint = Pick<LocalCloudHandle, "wranglerEnv" | "workerUrl">;

export interface HostDeployTarget {
  deployer: WorkerDeployer;
  endpoints: EndpointResolver;
  /** The analytics a gradual rollout is judged by: the same account and API base as wrangler's. */
  metrics: VersionMetricsReader;
}

/**
 * Wires wrangler and URL resolution for one environment. Staging and production take the
 * Cloudflare credentials from the environment (failing before anything changes when they are
 * missing) and find each Worker's URL in wrangler's deploy output (its workers.dev target).
 * Local points wrangler at the control plane with its own account and a placeholder token, so
 * a real token in the environment never leaves for it. Rollbacks and deployment-history reads go
 * to the API wrangler would call, with the same variables, straight from this process (see
 * api-rollback.ts and api-deployment-history.ts).
 */
export async function openHostDeployTarget(
  repoRoot: string,
  target: DeployTarget,
  env: NodeJS.ProcessEnv,
  openLocalCloud: () => Promise<LocalCloudEndpoint>,
  children?: ChildGroups,
  /** One line where the deploy falls back from the API to wrangler, and why. */
  notice?: (line: string) => void,
): Promise<HostDeployTarget> {
  const origin = await checkoutOrigin(repoCommand(repoRoot), pipelineRunId(env));
  const inherited = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith("CLOUDFLARE_"),
    ),
  );
  if (target === LOCAL_TARGET) {
    const cloud = await openLocalCloud();
    return hostTarget(
      {
        repoRoot,
        children,
        childEnv: { ...inherited, ...cloud.wranglerEnv },
        secrets: [],
        secretsFile: (service) => localSecretsFile(repoRoot, service),
        origin,
        manualEnvPrefix: Object.entries(cloud.wranglerEnv)
          .map(([name, value]) => `${name}=${value}`)
          .join(" "),
      },
      { baseUrl: (service) => cloud.workerUrl(workerName(service, LOCAL_TARGET)) },
      notice,
    );
  }
  const credentials = credentialsFromEnv(env, target);
  const apiBaseUrl = env.CLOUDFLARE_API_BASE_URL;
  return hostTarget(
    {
      repoRoot,
      children,
      childEnv: {
        ...inherited,
        CLOUDFLARE_API_TOKEN: credentials.apiToken,
        CLOUDFLARE_ACCOUNT_ID: credentials.accountId,
        ...(apiBaseUrl ? { CLOUDFLARE_API_BASE_URL: apiBaseUrl } : {}),
      },
      secrets: [credentials.apiToken],
      origin,
    },
    { baseUrl: async (_service, _target, deployed) => workersDevUrl(deployed?.urls ?? []) },
    notice,
  );
}

/**
 * wrangler for everything but the rollback and the deployment history, which, like the metrics
 * of a gradual rollout, ask the API that wrangler's own variables point at: one request each
 * instead of a wrangler process, and one place that says which API, account and token.
 */
function hostTarget(
  options: WranglerDeployerOptions,
  endpoints: EndpointResolver,
  notice: ((line: string) => void) | undefined,
): HostDeployTarget {
  const api = cloudflareApiFromEnv(options.childEnv);
  return {
    deployer: apiDeploymentHistory(
      apiRollbackDeployer(wranglerDeployer(options), fetchHttpClient, api),
      fetchHttpClient,
      api,
      notice,
    ),
    endpoints,
    metrics: analyticsMetricsReader(fetchHttpClient, {
      apiBaseUrl: api.baseUrl,
      apiToken: api.token,
      accountId: api.accountId,
    }),
  };
}
