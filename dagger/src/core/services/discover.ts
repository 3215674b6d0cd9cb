import type { RepoReader } from "../repo-reader.js";
import type { DeployTarget, ServiceCatalog, ServiceInfo } from "./catalog.js";
import { parseConfig, ServiceConfigError } from "./config-error.js";
import {
  type ServicePackageJson,
  servicePackageJsonSchema,
  type WranglerConfig,
  wranglerConfigSchema,
} from "./config-schemas.js";
import { readJsoncFile } from "./read-config.js";

export const SERVICES_DIR = "services";

interface ServiceConfigs {
  name: string;
  dir: string;
  packageJson: ServicePackageJson;
  wrangler: WranglerConfig;
  smokeTestFile?: string;
}

/**
 * Reads every `services/<name>/` that has a package.json (the same rule pnpm's `services/*`
 * workspace glob uses) and resolves workspace dependencies and service bindings to service names.
 */
export async function discoverServices(reader: RepoReader): Promise<ServiceCatalog> {
  const dirs = (await reader.listDirectories(SERVICES_DIR)).sort();
  const configs: ServiceConfigs[] = [];
  for (const name of dirs) {
    const loaded = await readServiceConfigs(reader, name);
    if (loaded) {
      configs.push(loaded);
    }
  }
  return { services: configs.map((config) => resolveService(config, configs)) };
}

async function readServiceConfigs(
  reader: RepoReader,
  name: string,
): Promise<ServiceConfigs | undefined> {
  const dir = `${SERVICES_DIR}/${name}`;
  const packageFile = `${dir}/package.json`;
  if ((await reader.readText(packageFile)) === undefined) {
    return undefined;
  }
  const packageJson = parseConfig(
    servicePackageJsonSchema,
    await readJsoncFile(reader, packageFile),
    packageFile,
  );
  const wranglerFile = `${dir}/wrangler.jsonc`;
  const wrangler = parseConfig(
    wranglerConfigSchema,
    await readJsoncFile(reader, wranglerFile),
    wranglerFile,
  );
  const smokeTestFile = `${dir}/smoke.json`;
  const hasSmokeTests = (await reader.readText(smokeTestFile)) !== undefined;
  return { name, dir, packageJson, wrangler, ...(hasSmokeTests ? { smokeTestFile } : {}) };
}

function workerNames(wrangler: WranglerConfig): Record<DeployTarget, string> {
  return {
    local: wrangler.name,
    staging: wrangler.env.staging.name,
    production: wrangler.env.production.name,
  };
}

function resolveService(config: ServiceConfigs, all: ServiceConfigs[]): ServiceInfo {
  const wranglerFile = `${config.dir}/wrangler.jsonc`;
  const names = workerNames(config.wrangler);
  if (new Set(Object.values(names)).size !== 3) {
    throw new ServiceConfigError(
      wranglerFile,
      "env.staging.name / env.production.name",
      `expected distinct Worker names per environment, got local "${names.local}", staging "${names.staging}", production "${names.production}"`,
    );
  }
  const { env } = config.wrangler;
  const local = resolveBindings(config.wrangler.services, "local", "services", wranglerFile, all);
  const staging = resolveBindings(
    env.staging.services,
    "staging",
    "env.staging.services",
    wranglerFile,
    all,
  );
  const production = resolveBindings(
    env.production.services,
    "production",
    "env.production.services",
    wranglerFile,
    all,
  );
  return {
    name: config.name,
    dir: config.dir,
    packageName: config.packageJson.name,
    workspaceDependencies: workspaceDependencies(config.packageJson, all),
    workerNames: names,
    bindings: { local: local.services, staging: staging.services, production: production.services },
    externalBindings: {
      local: local.external,
      staging: staging.external,
      production: production.external,
    },
    ...(config.smokeTestFile ? { smokeTestFile: config.smokeTestFile } : {}),
  };
}

function workspaceDependencies(packageJson: ServicePackageJson, all: ServiceConfigs[]): string[] {
  const declared = { ...packageJson.devDependencies, ...packageJson.dependencies };
  return all
    .filter(
      (other) =>
        other.packageJson.name !== packageJson.name &&
        declared[other.packageJson.name]?.startsWith("workspace:"),
    )
    .map((other) => other.name);
}

/**
 * Maps each binding's Worker name to the service that deploys that Worker in the same target.
 * A binding to another environment's Worker (staging calling production) is rejected; a Worker
 * no service here deploys is outside the monorepo and kept apart, since nothing orders it.
 */
function resolveBindings(
  bindings: WranglerConfig["services"],
  target: DeployTarget,
  field: string,
  file: string,
  all: ServiceConfigs[],
): { services: string[]; external: string[] } {
  const services = new Set<string>();
  const external = new Set<string>();
  (bindings ?? []).forEach((binding, index) => {
    const owner = all.find((other) => workerNames(other.wrangler)[target] === binding.service);
    if (owner) {
      services.add(owner.name);
      return;
    }
    const elsewhere = all.find((other) =>
      Object.values(workerNames(other.wrangler)).includes(binding.service),
    );
    if (elsewhere) {
      throw new ServiceConfigError(
        file,
        `${field}[${index}].service`,
        `"${binding.service}" is not a ${target} Worker; expected "${workerNames(elsewhere.wrangler)[target]}" (the ${target} Worker of ${elsewhere.name})`,
      );
    }
    external.add(binding.service);
  });
  return { services: [...services].sort(), external: [...external].sort() };
}
