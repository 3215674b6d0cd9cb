import type { LocalCloudHandle } from "@workers/local-cloud";
import {
  type CloudflareApi,
  type CloudflareDeployPorts,
  type CloudflareDeployStack,
  checkoutOrigin,
  cloudflareApiFromEnv,
  cloudflareDeployStack,
  type DeployTarget,
  type EndpointResolver,
  fetchHttpClient,
  LOCAL_TARGET,
  manualRollbackCommand,
  type RepoReader,
  type RunPlace,
  type ServiceInfo,
  type VersionOrigin,
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

/** What the deploy commands need from the local control plane (`--env @local`). */
export type LocalCloudEndpoint = Pick<LocalCloudHandle, "wranglerEnv" | "workerUrl">;

export interface CloudflarePorts extends CloudflareDeployStack {
  endpoints: EndpointResolver;
}

/** What only a deploy to the local control plane has. */
interface LocalDeployOptions {
  /** Variables that point wrangler at the control plane, shown in a manual rollback command. */
  wranglerEnvPrefix: string;
  secretsFile: (service: ServiceInfo) => Promise<string | undefined>;
}

/** The host's two ports: wrangler as child processes, and HTTP from this process. */
export type HostPorts = Pick<CloudflareDeployPorts, "run" | "http">;

/**
 * The core's deploy stack over the host's ports, with the API, account and token wrangler's
 * variables name, and their values redacted from wrangler's output.
 */
export function hostDeployStack(
  ports: HostPorts,
  options: {
    reader: RepoReader;
    api: CloudflareApi;
    secrets: string[];
    origin: VersionOrigin | undefined;
    place?: (service: ServiceInfo) => RunPlace | undefined;
    local?: LocalDeployOptions;
    notice?: (line: string) => void;
  },
): CloudflareDeployStack {
  const { local } = options;
  return cloudflareDeployStack({
    ...ports,
    reader: options.reader,
    redact: redactor(options.secrets),
    origin: options.origin,
    ...(options.place ? { place: options.place } : {}),
    ...(local ? { secretsFile: local.secretsFile } : {}),
    manualRollbackCommand: (service, target, versionId) =>
      manualRollbackCommand(
        { runner: "host", wranglerEnvPrefix: local?.wranglerEnvPrefix },
        service,
        target,
        versionId,
      ),
    api: options.api,
    local: local !== undefined,
    ...(options.notice ? { notice: options.notice } : {}),
  });
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
  /** One line where the deploy falls back from the API to wrangler, or retries it, and why. */
  notice?: (line: string) => void,
  /** Each upload's place in its run, for its annotation (the deploy journal's). */
  place?: (service: ServiceInfo) => RunPlace | undefined,
): Promise<CloudflarePorts> {
  const origin = await checkoutOrigin(repoCommand(repoRoot), pipelineRunId(env));
  const inherited = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith("CLOUDFLARE_"),
    ),
  );
  const stack = (childEnv: Record<string, string>, secrets: string[], local?: LocalDeployOptions) =>
    hostDeployStack(
      { run: wranglerProcess({ repoRoot, children, childEnv }), http: fetchHttpClient },
      {
        reader: fsRepoReader(repoRoot),
        api: cloudflareApiFromEnv(childEnv),
        secrets,
        origin,
        ...(place ? { place } : {}),
        ...(local ? { local } : {}),
        ...(notice ? { notice } : {}),
      },
    );
  if (target === LOCAL_TARGET) {
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
