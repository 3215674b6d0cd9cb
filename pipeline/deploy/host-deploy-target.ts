import type { LocalCloudHandle } from "@workers/local-cloud";
import {
  analyticsMetricsReader,
  apiDeploymentHistory,
  apiRollbackDeployer,
  checkoutOrigin,
  cloudflareApiFromEnv,
  DEFAULT_RETRY_POLICY,
  type DeployTarget,
  type EndpointResolver,
  fetchHttpClient,
  LOCAL_TARGET,
  retryingHttpClient,
  systemClock,
  type VersionMetricsReader,
  type WorkerDeployer,
  workerName,
  workersDevUrl,
} from "#core";
import { repoCommand } from "../host/git-change-probe.js";
import type { ChildGroups } from "./child-groups.js";
import { credentialsFromEnv } from "./credentials.js";
import { localSecretsFile } from "./local-secrets.js";
import { pipelineRunId } from "./run-id.js";
import { type WranglerDeployerOptions, wranglerDeployer } from "./wrangler-deployer.js";

/** What the deploy commands need from the local control plane (`--env local`). */
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
 * api-rollback.ts and api-deployment-history.ts), retried when it answers 429 or 5xx or not at
 * all (api-retry.ts).
 */
export async function openHostDeployTarget(
  repoRoot: string,
  target: DeployTarget,
  env: NodeJS.ProcessEnv,
  openLocalCloud: () => Promise<LocalCloudEndpoint>,
  children?: ChildGroups,
  /** One line where the deploy falls back from the API to wrangler, or retries it, and why. */
  notice?: (line: string) => void,
  /** Each upload's place in its run, for its annotation (the deploy journal's). */
  place?: WranglerDeployerOptions["place"],
): Promise<HostDeployTarget> {
  const origin = await checkoutOrigin(repoCommand(repoRoot), pipelineRunId(env));
  const inherited = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith("CLOUDFLARE_"),
    ),
  );
  if (target === "local") {
    const cloud = await openLocalCloud();
    return hostTarget(
      {
        repoRoot,
        children,
        childEnv: { ...inherited, ...cloud.wranglerEnv },
        secrets: [],
        secretsFile: (service) => localSecretsFile(repoRoot, service),
        origin,
        place,
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
      place,
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
  const http = retryingHttpClient(fetchHttpClient, systemClock, DEFAULT_RETRY_POLICY, notice);
  return {
    deployer: apiDeploymentHistory(
      apiRollbackDeployer(wranglerDeployer(options), http, api),
      http,
      api,
      notice,
    ),
    endpoints,
    metrics: analyticsMetricsReader(http, {
      apiBaseUrl: api.baseUrl,
      apiToken: api.token,
      accountId: api.accountId,
    }),
  };
}
