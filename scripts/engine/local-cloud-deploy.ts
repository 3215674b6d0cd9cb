import { readFile } from "node:fs/promises";
import { type Directory, dag } from "@dagger.io/dagger";
import { buildDeployPlan } from "../../dagger/src/core/deploy/build-plan.js";
import { fetchHttpClient } from "../../dagger/src/core/deploy/fetch-http-client.js";
import { systemClock } from "../../dagger/src/core/deploy/ports.js";
import type { DeployReport } from "../../dagger/src/core/deploy/report.js";
import { runDeploy } from "../../dagger/src/core/deploy/run-deploy.js";
import type { ServiceInfo } from "../../dagger/src/core/services/catalog.js";
import { LOCAL_TARGET, serviceNames } from "../../dagger/src/core/services/catalog.js";
import { workerName } from "../../dagger/src/core/services/deploy-targets.js";
import { discoverServices } from "../../dagger/src/core/services/discover.js";
import { buildCiSteps } from "../../dagger/src/core/steps.js";
import { readToolchainVersions } from "../../dagger/src/core/toolchain-versions.js";
import {
  ContainerWorkerDeployer,
  wranglerContainer,
} from "../../dagger/src/dagger-deploy-runner.js";
import { DirectoryRepoReader } from "../../dagger/src/runner/directory-repo-reader.js";
import { stepContainers } from "../../dagger/src/runner/step-containers.js";
import { healthPolicy } from "../../pipeline/deploy/host-deploy-context.js";
import { localSecretsFile } from "../../pipeline/deploy/local-secrets.js";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import type { LocalCloudHandle } from "../../pipeline/local-cloud/index.js";

/** Where each service's local secrets are mounted in the wrangler container. */
const SECRETS_DIR = "/run/local-cloud-secrets";
/** The control plane's hostname inside the engine's containers. */
const CLOUD_HOST = "local-cloud";

/**
 * A deploy to the host's local control plane with wrangler running in the engine's containers:
 * the Dagger runner's ContainerWorkerDeployer and the core's orchestrator, as `dagger call
 * deploy` would run them, with the control plane reached through a host service binding
 * (`dag.host().service`). Health checks and smoke tests run here, on the host, where each
 * Worker's loopback port is.
 */
export async function deployToLocalCloud(
  source: Directory,
  repoRoot: string,
  service: string,
  cloud: Pick<LocalCloudHandle, "apiBaseUrl" | "accountId" | "wranglerEnv" | "workerUrl">,
  progress: (line: string) => void,
): Promise<DeployReport> {
  const reader = new DirectoryRepoReader(source);
  const catalog = await discoverServices(reader);
  const names = service === "all" ? serviceNames(catalog) : service.split(",");
  const plan = await buildDeployPlan(reader, catalog, LOCAL_TARGET, names, `--service ${service}`);
  const api = new URL(cloud.apiBaseUrl);
  let wrangler = stepContainers(
    source,
    buildCiSteps(catalog, { parts: ["install"] }),
    await readToolchainVersions(reader),
  )
    .workspace.withServiceBinding(
      CLOUD_HOST,
      dag.host().service([{ frontend: Number(api.port), backend: Number(api.port) }]),
    )
    .withEnvVariable(
      "CLOUDFLARE_API_BASE_URL",
      `${api.protocol}//${CLOUD_HOST}:${api.port}${api.pathname}`,
    );
  // The services' local secrets, generated on the host, reach wrangler only as secret files.
  const hostCatalog = await discoverServices(fsRepoReader(repoRoot));
  const withSecrets = new Set<string>();
  for (const info of hostCatalog.services) {
    const file = await localSecretsFile(repoRoot, info);
    if (file) {
      wrangler = wrangler.withMountedSecret(
        `${SECRETS_DIR}/${info.name}.json`,
        dag.setSecret(`local-cloud-secrets-${info.name}`, await readFile(file, "utf8")),
      );
      withSecrets.add(info.name);
    }
  }
  const token = cloud.wranglerEnv.CLOUDFLARE_API_TOKEN ?? "";
  const deployer = new ContainerWorkerDeployer(
    wranglerContainer(
      wrangler,
      dag.setSecret("local-cloud-token", token),
      dag.setSecret("local-cloud-account", cloud.accountId),
    ),
    reader,
    async (info: ServiceInfo) =>
      withSecrets.has(info.name) ? `${SECRETS_DIR}/${info.name}.json` : undefined,
  ).workerDeployer();
  return runDeploy(
    {
      target: LOCAL_TARGET,
      deployer,
      http: fetchHttpClient,
      endpoints: { baseUrl: (info) => cloud.workerUrl(workerName(info, LOCAL_TARGET)) },
      clock: systemClock,
      health: healthPolicy(process.env),
      progress,
    },
    plan,
  );
}
