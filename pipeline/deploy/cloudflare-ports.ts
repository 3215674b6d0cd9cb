import type { LocalCloudHandle } from "@workers/local-cloud";
import {
  type CloudflareDeployStack,
  checkoutOrigin,
  cloudflareApiFromEnv,
  cloudflareDeployStack,
  type DeployTarget,
  type EndpointResolver,
  fetchHttpClient,
  LOCAL_TARGET,
  manualRollbackCommand,
  type ServiceInfo,
  workerName,
  workersDevUrl,
} from "#core";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { repoCommand } from "../host/git-change-probe.js";
import type { ChildGroups } from "./child-groups.js";
import { credentialsFromEnv } from "./credentials.js";
import { localSecretsFile } from "./local-secrets.js";
import { redactor } from "./redact.js";
import { pipelineRunId } from "./run-id.js";
import { wranglerProcess } from "./wrangler-process.js";

/** What the deploy commands need from the local control plane (`--env local`). */
export type LocalCloudEndpoint = Pick<LocalCloudHandle, "wranglerEnv" | "workerUrl">;

export interface CloudflarePorts extends CloudflareDeployStack {
  endpoints: EndpointResolver;
}

/**
 * The core's deploy stack for one environment, with its ports on the host: wrangler as child
 * processes and HTTP from this process, both pointed where wrangler's variables point. Staging
 * and production take the Cloudflare credentials from the environment (failing before anything
 * changes when they are missing) and find each Worker's URL in wrangler's deploy output (its
 * workers.dev target). Local points wrangler at the control plane with its own account and a
 * placeholder token, so a real token in the environment never leaves for it.
 */
export async function openCloudflarePorts(
  repoRoot: string,
  target: DeployTarget,
  env: NodeJS.ProcessEnv,
  openLocalCloud: () => Promise<LocalCloudEndpoint>,
  children?: ChildGroups,
  /** One line where the deploy falls back from the API to wrangler, and why. */
  notice?: (line: string) => void,
): Promise<CloudflarePorts> {
  const origin = await checkoutOrigin(repoCommand(repoRoot), pipelineRunId(env));
  const inherited = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith("CLOUDFLARE_"),
    ),
  );
  const stack = (
    childEnv: Record<string, string>,
    secrets: string[],
    local?: {
      wranglerEnvPrefix: string;
      secretsFile: (service: ServiceInfo) => Promise<string | undefined>;
    },
  ) =>
    cloudflareDeployStack({
      run: wranglerProcess({ repoRoot, children, childEnv }),
      reader: fsRepoReader(repoRoot),
      redact: redactor(secrets),
      origin,
      ...(local ? { secretsFile: local.secretsFile } : {}),
      manualRollbackCommand: (service, rollbackTarget, versionId) =>
        manualRollbackCommand(
          { runner: "host", wranglerEnvPrefix: local?.wranglerEnvPrefix },
          service,
          rollbackTarget,
          versionId,
        ),
      http: fetchHttpClient,
      api: cloudflareApiFromEnv(childEnv),
      ...(notice ? { notice } : {}),
    });
  if (target === "local") {
    const cloud = await openLocalCloud();
    return {
      ...stack({ ...inherited, ...cloud.wranglerEnv }, [], {
        wranglerEnvPrefix: Object.entries(cloud.wranglerEnv)
          .map(([name, value]) => `${name}=${value}`)
          .join(" "),
        secretsFile: (service) => localSecretsFile(repoRoot, service),
      }),
      endpoints: { baseUrl: (service) => cloud.workerUrl(workerName(service, LOCAL_TARGET)) },
    };
  }
  const credentials = credentialsFromEnv(env, target);
  const apiBaseUrl = env.CLOUDFLARE_API_BASE_URL;
  return {
    ...stack(
      {
        ...inherited,
        CLOUDFLARE_API_TOKEN: credentials.apiToken,
        CLOUDFLARE_ACCOUNT_ID: credentials.accountId,
        ...(apiBaseUrl ? { CLOUDFLARE_API_BASE_URL: apiBaseUrl } : {}),
      },
      [credentials.apiToken],
    ),
    endpoints: {
      baseUrl: async (_service, _target, deployed) => workersDevUrl(deployed?.urls ?? []),
    },
  };
}
